import Foundation
import MariaDB
import Web
import Core

/// A finished past import for the demo workspace (issue 25): "trade-fair-leads.csv", the kind
/// of file a fair's badge scanner exports (semicolons, a BOM, accents, a quoted comma), run
/// through the same job as any import, so that its counts and its failed rows (a broken
/// address, a phone with letters) are what the job made of them. Idempotent: nothing when
/// the workspace has an import.
package enum ImportSeed {
    static let file = """
        \u{FEFF}E-mail Address;First Name;Last Name;Company;Phone Number;City;Country;Interest
        marija.kovacevic@adriatic-logistics.hr;Marija;Kovačević;Adriatic Logistics d.o.o.;+385 1 555 0101;Zagreb;HR;Fleet tracking
        tomislav.juric@panonija-retail.hr;Tomislav;Jurić;Panonija Retail;+385 1 555 0102;Zagreb;HR;"Loyalty, coupons"
        ana.babic@dalmacijadigital.hr;Ana;Babić;Dalmacija Digital;+385 21 555 0103;Split;HR;Newsletters
        petra.horvat@kvarnerhotels.com;Petra;Horvat;Kvarner Hotels Group;+385 51 555 0104;Rijeka;HR;Guest journeys
        jonas.weber@spree-software.de;Jonas;Weber;Spree Software GmbH;+49 30 5550105;Berlin;DE;API
        lena.huber@isarmedical.de;Lena;Huber;Isar Medical GmbH;+49 89 5550106;München;DE;Consent management
        matteo.rossi@naviglidesign.it;Matteo;Rossi;Navigli Design Studio;+39 02 5550107;Milano;IT;"Segments, RFM"
        nina.zupan@ljfintech.si;Nina;Zupan;Ljubljana Fintech;+386 1 5550108;Ljubljana;SI;Automations
        ivo.peric@gmail;Ivo;Perić;;+385 98 555 0109;Osijek;HR;Pipelines
        karla.radic@velebit-outdoor.com;Karla;Radić;Velebit Outdoor;call after 5pm;Zadar;HR;Campaigns
        felix.gruber@donau-energie.at;Felix;Gruber;Donau Energie AG;+43 1 5550111;Wien;AT;Dashboards
        luka.maric@zadarmarine.com;Luka;Marić;Zadar Marine Systems;+385 23 555 0112;Zadar;HR;Pipelines

        """

    package static func run(_ db: Connection, _ tenant: Tenant, directory: String, log: (String) -> Void) throws {
        if try db.queryOne("SELECT id FROM imports WHERE tenant_id = \(tenant) LIMIT 1") != nil { return }
        let folder = directory + "/\(tenant.id)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + UUID().uuidString.lowercased() + ".csv"
        try Data(file.replacingOccurrences(of: "\n", with: "\r\n").utf8).write(to: URL(fileURLWithPath: path))
        let owner = try db.queryOne("""
            SELECT m.user_id FROM memberships m WHERE m.tenant_id = \(tenant) AND m.role = 'owner' ORDER BY m.user_id LIMIT 1
            """)?.int("user_id")
        let id = try ImportStore.create(db, tenant, target: .customers, path: path, fileName: "trade-fair-leads.csv",
                                        userID: owner, apiKeyID: nil)
        try db.execute("""
            UPDATE imports SET status = 'queued', tags = '["trade fair 2026"]', created_at = UTC_TIMESTAMP(6) - INTERVAL 3 DAY
            WHERE id = \(id)
            """)
        try ImportJob.run(db, id: id)
        try db.execute("""
            UPDATE imports SET started_at = created_at + INTERVAL 20 SECOND, finished_at = created_at + INTERVAL 21 SECOND,
                updated_at = created_at + INTERVAL 21 SECOND
            WHERE id = \(id)
            """)
        log("seed: a past import (trade-fair-leads.csv) with its failed rows")
    }
}
