import MariaDB
import Web
import Core

/// A customer's profile fields (those the API and imports write): as read from the row, as a
/// new customer gets them from checked fields, and as an update changes them (`apply`, the
/// one home of that rule). `snapshot` is what CustomerChanges compares and records.
struct CustomerProfile {
    var name, email, phone, city, country: String?
    var companyID, ownerID: Int?
    var properties = JSONObject()

    /// The columns `init(row:)` reads (with the id).
    static let columns: SQL = "id, name, email, phone, city, country, company_id, owner_id, properties"

    init(row: Row) {
        name = row.optionalString("name")
        email = row.optionalString("email")
        phone = row.optionalString("phone")
        city = row.optionalString("city")
        country = row.optionalString("country")
        companyID = row.optionalInt("company_id")
        ownerID = row.optionalInt("owner_id")
        properties = (try? JSONParser.parse(row.optionalString("properties") ?? "{}"))?.objectValue ?? JSONObject()
    }

    /// A new customer's (the API's create, an imported row that is no customer yet).
    init(new f: CustomerRoutes.Fields) {
        (name, email, phone, city, country) = (f.name, f.email, f.phone, f.city, f.country)
        companyID = f.companyID ?? nil
        ownerID = f.ownerID ?? nil
        properties = f.properties ?? JSONObject()
    }

    /// An update: only the fields given change (an explicit null or empty string clears one);
    /// `properties` is merged (RFC 7396: null removes a key) and the whole checked as it will
    /// be stored (422 naming the property).
    mutating func apply(_ f: CustomerRoutes.Fields) throws {
        func has(_ key: String) -> Bool { f.present.contains(key) }
        if has("name") { name = f.name }
        if has("email") { email = f.email }
        if has("phone") { phone = f.phone }
        if has("city") { city = f.city }
        if has("country") { country = f.country }
        if let patch = f.properties {
            let merged = JSON.object(properties).mergePatched(with: .object(patch)).objectValue ?? JSONObject()
            try Input.propertiesProblems(merged).check()
            properties = merged
        }
        if let company = f.companyID { companyID = company }
        if let owner = f.ownerID { ownerID = owner }
    }

    /// The compared fields (name, email, phone, city, country, company and owner), and each property as `properties.<key>`.
    var snapshot: [String: JSON] {
        var values: [String: JSON] = [
            "name": name.map(JSON.string) ?? .null, "email": email.map(JSON.string) ?? .null,
            "phone": phone.map(JSON.string) ?? .null, "city": city.map(JSON.string) ?? .null,
            "country": country.map(JSON.string) ?? .null,
            "company_id": companyID.map { .int(Int64($0)) } ?? .null, "owner_id": ownerID.map { .int(Int64($0)) } ?? .null,
        ]
        for (key, value) in properties { values["properties.\(key)"] = value }
        return values
    }

    /// As `customers_insert_rows` reads a row (schema/043); `customers_update_rows` takes the id first.
    var json: [JSON] {
        [name.map(JSON.string) ?? .null, email.map(JSON.string) ?? .null, phone.map(JSON.string) ?? .null,
         city.map(JSON.string) ?? .null, country.map(JSON.string) ?? .null, .string(JSONWriter.string(.object(properties))),
         companyID.map { .int(Int64($0)) } ?? .null, ownerID.map { .int(Int64($0)) } ?? .null]
    }
}
