import Foundation
import Web

/// What an import writes to (`?target=`): customers, companies or one CRM entity's entries.
package enum ImportTarget: Equatable, Sendable {
    case customers
    case companies
    case entity(Int)

    package init?(_ text: String) {
        switch text {
        case "customers": self = .customers
        case "companies": self = .companies
        default:
            guard text.hasPrefix("entity:"), let id = Int(text.dropFirst(7)), id > 0 else { return nil }
            self = .entity(id)
        }
    }

    package var name: String {
        switch self {
        case .customers: return "customers"
        case .companies: return "companies"
        case .entity(let id): return "entity:\(id)"
        }
    }

    /// Customers and companies keep unknown columns as `properties.<column>`.
    var hasProperties: Bool { !isEntity }
    var isEntity: Bool { if case .entity = self { return true } else { return false } }

    /// The key an upsert matches on by default.
    var defaultKey: String {
        switch self {
        case .customers: return "email"
        case .companies: return "domain"
        case .entity: return "reference_id"
        }
    }
}

/// The proposed mapping of columns to fields: names compared without case, spaces and
/// punctuation, with the usual synonyms of spreadsheets and other CRMs' exports.
package enum ImportMapping {
    /// "E-mail Address" → "emailaddress".
    static func normalized(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    /// A column's name as a property key: lower case, words joined by `_`.
    static func propertyKey(_ column: String) -> String {
        var key = ""
        for ch in column.lowercased() {
            if ch.isLetter || ch.isNumber { key.append(ch) } else if !key.isEmpty, key.last != "_" { key.append("_") }
        }
        while key.last == "_" { key.removeLast() }
        return String((key.isEmpty ? "column" : key).prefix(64))
    }

    static let customerSynonyms: [String: [String]] = [
        "email": ["email", "emailaddress", "mail", "emailaddr", "primaryemail", "workemail", "personalemail", "courriel"],
        "name": ["name", "fullname", "contactname", "customername", "displayname", "contact"],
        "first_name": ["firstname", "givenname", "forename", "first", "fname"],
        "last_name": ["lastname", "surname", "familyname", "last", "lname"],
        "phone": ["phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "mobilenumber", "cell", "cellphone", "workphone"],
        "city": ["city", "town", "locality"],
        "country": ["country", "countrycode", "nation"],
        "company": ["company", "companyname", "organization", "organisation", "employer", "account", "accountname"],
    ]

    static let companySynonyms: [String: [String]] = [
        "name": ["name", "companyname", "company", "organization", "organisation", "account", "accountname"],
        "domain": ["domain", "website", "web", "url", "companydomain", "websiteurl", "homepage"],
        "industry": ["industry", "sector", "vertical"],
        "size": ["size", "employees", "companysize", "headcount", "numberofemployees"],
        "country": ["country", "countrycode", "nation"],
        "city": ["city", "town", "locality"],
    ]

    static let entrySynonyms: [String: [String]] = [
        "title": ["title", "name", "subject", "deal", "dealname", "leadname"],
        "stage": ["stage", "status", "pipelinestage", "dealstage"],
        "reference_id": ["referenceid", "externalid", "reference", "ref"],
    ]

    /// The fields a column may be mapped to (besides `properties.<key>` where the target has
    /// properties, and null to skip it). `fieldKeys` are an entity's custom fields.
    package static func fields(_ target: ImportTarget, fieldKeys: [String] = []) -> [String] {
        switch target {
        case .customers: return ["email", "name", "first_name", "last_name", "phone", "city", "country", "company"]
        case .companies: return ["name", "domain", "industry", "size", "country", "city"]
        case .entity: return ["title", "stage", "reference_id"] + fieldKeys.map { "values.\($0)" }
        }
    }

    /// One field (or nil, skipped) per column of the header, each field at most once.
    package static func propose(_ header: [String], target: ImportTarget, fieldKeys: [String] = [], fieldNames: [String: String] = [:]) -> [String?] {
        var synonyms: [String: [String]]
        switch target {
        case .customers: synonyms = customerSynonyms
        case .companies: synonyms = companySynonyms
        case .entity:
            synonyms = entrySynonyms
            for key in fieldKeys { synonyms["values.\(key)"] = [normalized(key), normalized(fieldNames[key] ?? key)] }
        }
        var taken = Set<String>()
        return header.map { column in
            let name = normalized(column)
            // An exact field name first, then a synonym, in the fields' order.
            let match = fields(target, fieldKeys: fieldKeys).first { field in
                !taken.contains(field) && (normalized(field) == name || synonyms[field]?.contains(name) == true)
            }
            if let match {
                taken.insert(match)
                return match
            }
            return !target.hasProperties ? nil : "properties." + propertyKey(column)
        }
    }

    /// Checks a mapping the user sent: one entry per column, each a known field, a property
    /// (where the target has them) or null; no field twice.
    package static func check(_ mapping: [String?], header: [String], target: ImportTarget, fieldKeys: [String],
                              errors: inout ValidationErrors) {
        guard mapping.count == header.count else {
            errors.add("mapping", "The mapping must have one entry per column (\(header.count)).")
            return
        }
        let allowed = Set(fields(target, fieldKeys: fieldKeys))
        var seen = Set<String>()
        for (index, field) in mapping.enumerated() {
            guard let field else { continue }
            if field.hasPrefix("properties.") && target.hasProperties {
                let key = field.dropFirst(11)
                if key.isEmpty || key.count > 64 { errors.add("mapping.\(index)", "A property name has 1 to 64 characters.") }
            } else if !allowed.contains(field) {
                errors.add("mapping.\(index)", "Column \(header[index]) is mapped to \(field), which is not a field of \(target.name).")
            }
            if !seen.insert(field).inserted { errors.add("mapping.\(index)", "The field \(field) is mapped from two columns.") }
        }
    }
}
