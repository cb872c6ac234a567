import Foundation
import MariaDB
import Web
import Core

extension CompanyStore {
    /// The company a Segment `group` call names, locked until the commit: the one with the
    /// group's id as external id; else the one with the group's website domain (it takes the
    /// external id); else, with `create`, a new one. nil when there is none and `create` is off.
    package static func forGroup(_ db: Connection, _ tenant: Tenant, groupID: String, name: String?, website: String?,
                                 industry: String?, create: Bool) throws -> Int? {
        if let row = try db.queryOne("SELECT id FROM companies WHERE tenant_id = \(tenant) AND external_id = \(groupID) FOR UPDATE") {
            return try row.int("id")
        }
        let domain = website.flatMap { try? CompanyDomain.normalize($0) }
        if let domain, let row = try db.queryOne("""
            SELECT id, external_id FROM companies WHERE tenant_id = \(tenant) AND domain = \(domain) FOR UPDATE
            """) {
            let id = try row.int("id")
            if row.optionalString("external_id") == nil {
                try db.execute("UPDATE companies SET external_id = \(groupID), updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = \(tenant) AND id = \(id)")
            }
            return id
        }
        guard create else { return nil }
        let id = try db.execute("""
            INSERT INTO companies (tenant_id, name, domain, external_id, industry, properties, created_at, updated_at)
            VALUES (\(tenant), \(String((name ?? groupID).prefix(190))), \(domain), \(groupID), \(industry.map { String($0.prefix(120)) }),
                    '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        _ = try webhook(db, tenant, "company.created", id: id)
        return id
    }

    /// Puts a customer in a company (their count and revenue move with them:
    /// customers_after_update, schema/030); with `onlyIfNone`, only a customer without one.
    package static func setCompany(_ db: Connection, _ tenant: Tenant, customer: Int, company: Int, onlyIfNone: Bool) throws {
        try db.execute("""
            UPDATE customers SET company_id = \(company), updated_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = \(tenant) AND id = \(customer) AND (company_id IS NULL OR NOT \(onlyIfNone))
            """)
    }
}
