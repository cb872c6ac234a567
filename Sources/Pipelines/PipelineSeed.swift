import Foundation
import MariaDB
import Web
import Core

/// The demo workspace's pipeline CRM: Leads (from the preset, 40 entries across the stages,
/// each walked there stage by stage so that the history and conversion rates mean
/// something) and Deals with amounts. Idempotent: an entity that exists is left alone.
package enum PipelineSeed {
    static let firstNames = ["Ana", "Marko", "Ivana", "Luka", "Petra", "Josip", "Maja", "Tomislav", "Elena", "David",
                             "Sara", "Filip", "Nina", "Karlo", "Mia", "Adam", "Lea", "Ivan", "Eva", "Matej"]
    static let lastNames = ["Horvat", "Kovačević", "Babić", "Marić", "Jurić", "Novak", "Knežević", "Vuković", "Petrović", "Tomić",
                            "Pavlović", "Božić", "Grgić", "Radić", "Perić", "Lovrić", "Vidović", "Popović", "Nikolić", "Brkić"]
    static let companies = ["Adriatic Foods", "Kvarner Tech", "Dalmacija Wines", "Zagreb Print", "Istra Tours",
                            "Slavonija Agro", "Lika Outdoor", "Split Design", "Osijek Motors", "Rijeka Logistics"]

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        let users = try db.query("SELECT user_id FROM memberships WHERE tenant_id = \(tenant) ORDER BY created_at, user_id").map { try $0.int("user_id") }
        let team = try db.queryOne("SELECT id FROM teams WHERE tenant_id = \(tenant) ORDER BY id LIMIT 1")?.int("id")
        if try Entity.find(db, tenant, "leads") == nil {
            try leads(db, tenant, users: users, team: team)
            log("seed: CRM entity Leads with 40 entries")
        }
        if try Entity.find(db, tenant, "deals") == nil {
            try deals(db, tenant, users: users, team: team)
            log("seed: CRM entity Deals with 20 deals")
        }
    }

    static func name(_ i: Int) -> (title: String, email: String) {
        let first = firstNames[i % firstNames.count], last = lastNames[(i * 7 + i / firstNames.count) % lastNames.count]
        let ascii = "\(first).\(last)".folding(options: [.diacriticInsensitive], locale: Locale(identifier: "en_US")).lowercased()
        return ("\(first) \(last)", "\(ascii)@example.com")
    }

    /// Creates an entry in the pipeline's first stage and walks it to `stages[target]`, a
    /// day or two per step, as a salesperson would have.
    static func walk(_ db: Connection, _ tenant: Tenant, entity: Entity, fields: [Field], pipeline: Pipeline, target: Int,
                     title: String, values: [String: JSON], user: Int?, team: Int?, reference: String?, daysAgo: Int) throws {
        var changes = EntryStore.Changes()
        changes.title = title
        changes.pipeline = pipeline
        changes.stage = pipeline.stages[0]
        changes.userID = .some(user)
        changes.teamID = .some(team)
        if let reference { changes.referenceType = .some("conversion"); changes.referenceID = .some(reference) }
        for field in fields {
            guard let value = values[field.key], case .success(let checked) = field.check(value) else { continue }
            changes.values.append((field, checked))
        }
        let created = Date().addingTimeInterval(Double(-daysAgo) * 86_400)
        let (entry, _) = try EntryStore.create(db, tenant, entityID: entity.id, fields: fields, changes, actor: Actor(userID: user),
                                               createdAt: created)
        // The active stages in order up to the target; a won or lost stage is the last step.
        let path = pipeline.stages.prefix(target + 1).enumerated().filter { i, stage in i == target || stage.status == .active }.map(\.element)
        for (step, stage) in path.dropFirst().enumerated() {
            var move = EntryStore.Changes()
            move.stage = stage
            _ = try EntryStore.update(db, tenant, uid: entry.uid, entityID: entity.id, fields: fields, move, actor: Actor(userID: user))
            let at = created.addingTimeInterval(Double(step + 1) * 86_400 * 1.5)
            try db.execute("""
                UPDATE crm_stage_history SET created_at = \(at)
                WHERE entry_id = \(entry.id) AND to_stage_id = \(stage.id) AND tenant_id = \(tenant)
                """)
            try db.execute("UPDATE crm_entries SET updated_at = \(at) WHERE id = \(entry.id)")
        }
    }

    static func leads(_ db: Connection, _ tenant: Tenant, users: [Int], team: Int?) throws {
        var attributes = EntityRoutes.Attributes()
        attributes.name = "Leads"
        attributes.slug = "leads"
        let entity = try EntityRoutes.create(db, tenant, attributes, preset: Preset.named("leads"))
        _ = try FieldRoutes.create(db, tenant, entityID: entity.id, name: "Lead Score", key: "score", type: .number,
                                   options: nil, required: false, position: 3)
        let fields = try Field.all(db, tenant, entityID: entity.id)
        let pipeline = try Pipeline.all(db, tenant, entityID: entity.id)[0]
        // 40 leads: most still early in the funnel, some won, some lost.
        let targets = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2,
                       3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4]
        let sources = ["Facebook", "Google", "Organic"]
        for (i, target) in targets.enumerated() {
            let person = name(i)
            try walk(db, tenant, entity: entity, fields: fields, pipeline: pipeline, target: target, title: person.title,
                     values: ["email": .string(person.email), "phone": .string("+385 91 \(String(format: "%03d", 100 + i * 13)) \(String(format: "%04d", 2000 + i * 37))"),
                              "source": .string(sources[(i * 5) % 3]), "score": .int(Int64((i * 37) % 100))],
                     user: users.isEmpty ? nil : users[i % users.count], team: i % 4 == 0 ? team : nil,
                     reference: i % 3 == 0 ? "demo-conv-\(1000 + i)" : nil, daysAgo: 60 - i)
        }
    }

    static func deals(_ db: Connection, _ tenant: Tenant, users: [Int], team: Int?) throws {
        var attributes = EntityRoutes.Attributes()
        attributes.name = "Deals"
        attributes.slug = "deals"
        let entity = try EntityRoutes.create(db, tenant, attributes, preset: Preset.named("deals"))
        let fields = try Field.all(db, tenant, entityID: entity.id)
        let pipeline = try Pipeline.all(db, tenant, entityID: entity.id)[0]
        let targets = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5]
        let products = ["Annual licence", "Onboarding package", "Support plan", "Website redesign", "Data migration"]
        let calendar = Calendar(identifier: .gregorian)
        for (i, target) in targets.enumerated() {
            let company = companies[i % companies.count]
            let person = name(i + 40)
            let amount = [1_200, 4_850, 9_900, 15_000, 2_400, 7_250, 32_000, 5_600][i % 8] + i * 125
            let close = calendar.date(byAdding: .day, value: 10 + i * 4, to: Date()) ?? Date()
            let probability = [10, 25, 50, 75, 100, 0][target]
            try walk(db, tenant, entity: entity, fields: fields, pipeline: pipeline, target: target,
                     title: "\(company): \(products[i % products.count])",
                     values: ["amount": .number("\(amount).00"), "close_date": .string(String(RFC3339.format(close).prefix(10))),
                              "probability": .int(Int64(probability)), "company": .string(company), "email": .string(person.email)],
                     user: users.isEmpty ? nil : users[(i + 1) % users.count], team: team, reference: nil, daysAgo: 45 - i * 2)
        }
    }
}
