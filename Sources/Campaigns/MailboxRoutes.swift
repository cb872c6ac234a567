import Foundation
import Web
import Core
import Messaging

/// The development mailbox (`GET /v1/mailbox`, `GET /v1/mailbox/{name}`): the mail that no relay
/// sent, read from `DevMailbox`'s directory, each caller only its own.
extension CampaignRoutes {
    // MARK: Development mailbox

    /// The prefixes of the mailbox files the caller may read: the workspace's, and the system
    /// mail sent to the signed-in account itself (`SystemMail`), never another account's.
    static func mailboxPrefixes(_ c: Context) -> [String] {
        ["\(c.tenant.id)-"] + (c.principal?.userID.map { ["account-\($0)-"] } ?? [])
    }

    /// This workspace's `.eml` files in the development mailbox, newest first.
    @Sendable static func mailbox(_ c: Context) throws -> Response {
        let dir = DevMailbox.defaultDirectory()
        let prefixes = mailboxPrefixes(c)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { name in prefixes.contains { name.hasPrefix($0) } && name.hasSuffix(".eml") }
        // Times for all, to sort; headers only for the page shown.
        var entries: [(name: String, modified: Date, size: Int)] = []
        for name in names {
            let attributes = try? FileManager.default.attributesOfItem(atPath: dir + "/" + name)
            entries.append((name, attributes?[.modificationDate] as? Date ?? Date.distantPast, (attributes?[.size] as? Int) ?? 0))
        }
        entries.sort { $0.modified != $1.modified ? $0.modified > $1.modified : $0.name > $1.name }
        let page = try Pagination(c.request, sortable: ["received_at"], defaultSort: "received_at")
        let slice: [JSON] = entries.dropFirst(page.offset).prefix(page.perPage).map { entry in
            let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: dir + "/" + entry.name)).readData(ofLength: 4096)) ?? Data()
            // Folded header lines unfolded.
            let headers = String(decoding: head, as: UTF8.self).replacingOccurrences(of: "\r\n ", with: " ")
            func header(_ h: String) -> JSON {
                for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix(h.lowercased() + ": ") {
                    return .string(String(line.dropFirst(h.count + 2)))
                }
                return .null
            }
            return ["name": .string(String(entry.name.dropLast(4))), "to": header("To"), "subject": header("Subject"),
                    "size": .int(entry.size), "received_at": .date(entry.modified)]
        }
        return .json(page.envelope(slice, total: entries.count))
    }

    /// One message of the mailbox, as the raw RFC 5322 text.
    @Sendable static func mailboxMessage(_ c: Context) throws -> Response {
        let name = c.request.pathParameters["name"] ?? ""
        guard mailboxPrefixes(c).contains(where: { name.hasPrefix($0) }), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
              let data = FileManager.default.contents(atPath: DevMailbox.defaultDirectory() + "/" + name + ".eml") else {
            throw HTTPError.notFound("Message not found.")
        }
        return Response(status: 200, headers: [("Content-Type", "message/rfc822")], body: Array(data))
    }
}
