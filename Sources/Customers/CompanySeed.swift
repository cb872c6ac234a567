import Foundation
import MariaDB
import Core

/// Demo companies for the demo customers (issue 24): a dozen companies in the customers'
/// cities, most customers of a city linked to one of its companies, and owners (the demo
/// workspace's members) on some companies and on the most valuable customers. Customers are
/// linked by an UPDATE of their company_id, so the companies' totals are kept by the same
/// trigger as any other link (schema/030). Idempotent: nothing when the workspace has a company.
package enum CompanySeed {
    struct Company {
        let name, domain, industry, size, city, country: String
        let owner: String?
        let properties: String
    }

    static let companies: [Company] = [
        Company(name: "Adriatic Logistics d.o.o.", domain: "adriatic-logistics.hr", industry: "Logistics", size: "201-500",
                city: "Zagreb", country: "HR", owner: "demo@entercrm.io", properties: #"{"tier":"enterprise","source":"trade fair"}"#),
        Company(name: "Panonija Retail", domain: "panonija-retail.hr", industry: "Retail", size: "501-1000",
                city: "Zagreb", country: "HR", owner: "ivana.maric@entercrm.io", properties: #"{"tier":"enterprise"}"#),
        Company(name: "Dalmacija Digital", domain: "dalmacijadigital.hr", industry: "Marketing & advertising", size: "11-50",
                city: "Split", country: "HR", owner: "luka.novak@entercrm.io", properties: #"{"tier":"smb","source":"referral"}"#),
        Company(name: "Kvarner Hotels Group", domain: "kvarnerhotels.com", industry: "Hospitality", size: "501-1000",
                city: "Rijeka", country: "HR", owner: "demo@entercrm.io", properties: #"{"tier":"enterprise","season":"summer"}"#),
        Company(name: "Slavonija Agro", domain: "slavonija-agro.hr", industry: "Agriculture", size: "51-200",
                city: "Osijek", country: "HR", owner: nil, properties: #"{"tier":"mid-market"}"#),
        Company(name: "Zadar Marine Systems", domain: "zadarmarine.com", industry: "Manufacturing", size: "51-200",
                city: "Zadar", country: "HR", owner: "luka.novak@entercrm.io", properties: #"{"tier":"mid-market"}"#),
        Company(name: "Ljubljana Fintech", domain: "ljfintech.si", industry: "Financial services", size: "11-50",
                city: "Ljubljana", country: "SI", owner: "ivana.maric@entercrm.io", properties: #"{"tier":"smb","source":"webinar"}"#),
        Company(name: "Spree Software GmbH", domain: "spree-software.de", industry: "Software", size: "201-500",
                city: "Berlin", country: "DE", owner: "demo@entercrm.io", properties: #"{"tier":"mid-market","stack":"swift"}"#),
        Company(name: "Isar Medical GmbH", domain: "isarmedical.de", industry: "Healthcare", size: "1001-5000",
                city: "München", country: "DE", owner: "ivana.maric@entercrm.io", properties: #"{"tier":"enterprise"}"#),
        Company(name: "Donau Energie AG", domain: "donau-energie.at", industry: "Energy", size: "1001-5000",
                city: "Wien", country: "AT", owner: nil, properties: #"{"tier":"enterprise"}"#),
        Company(name: "Navigli Design Studio", domain: "naviglidesign.it", industry: "Design", size: "1-10",
                city: "Milano", country: "IT", owner: "luka.novak@entercrm.io", properties: #"{"tier":"smb"}"#),
        Company(name: "Velebit Outdoor", domain: "velebit-outdoor.com", industry: "Retail", size: "11-50",
                city: "Zagreb", country: "HR", owner: nil, properties: #"{"tier":"smb","source":"website"}"#),
    ]

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        if try db.queryOne("SELECT id FROM companies WHERE tenant_id = \(tenant) LIMIT 1") != nil { return }
        var members: [String: Int] = [:]
        for row in try db.query("""
            SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = \(tenant)
            """) {
            members[try row.string("email")] = try row.int("id")
        }
        try db.transaction {
            var byCity: [String: [Int]] = [:]
            for company in companies {
                let id = try db.execute("""
                    INSERT INTO companies (tenant_id, name, domain, industry, size, country, city, owner_id, properties, created_at, updated_at)
                    VALUES (\(tenant), \(company.name), \(company.domain), \(company.industry), \(company.size), \(company.country),
                            \(company.city), \(company.owner.flatMap { members[$0] }), \(company.properties),
                            UTC_TIMESTAMP(6) - INTERVAL 200 DAY, UTC_TIMESTAMP(6))
                    """).lastInsertID
                byCity[company.city, default: []].append(id)
            }
            // Six customers in ten work for a company of their city (one of them, by id).
            var linked = 0
            for row in try db.query("SELECT id, city FROM customers WHERE tenant_id = \(tenant) ORDER BY id") {
                let id = try row.int("id")
                guard id % 10 < 6, let city = row.optionalString("city"), let ids = byCity[city] else { continue }
                try db.execute("""
                    UPDATE customers SET company_id = \(ids[id / 10 % ids.count]) WHERE tenant_id = \(tenant) AND id = \(id)
                    """)
                linked += 1
            }
            // The sixty most valuable customers have an owner: each member a third of them.
            let owners = ["demo@entercrm.io", "ivana.maric@entercrm.io", "luka.novak@entercrm.io"].compactMap { members[$0] }
            if !owners.isEmpty {
                let top = try db.query("SELECT id FROM customers WHERE tenant_id = \(tenant) ORDER BY clv_total DESC, id LIMIT 60")
                for (i, row) in top.enumerated() {
                    try db.execute("UPDATE customers SET owner_id = \(owners[i % owners.count]) WHERE tenant_id = \(tenant) AND id = \(try row.int("id"))")
                }
            }
            log("seed: \(companies.count) companies, \(linked) customers linked")
        }
    }
}
