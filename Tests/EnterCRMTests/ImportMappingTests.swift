import Testing
@testable import Imports
import Web

/// The proposed mapping of an import's columns (no database).
@Suite struct ImportMappingTests {
    @Test func customerColumnsByNameAndSynonym() {
        let header = ["E-mail Address", "First Name", "Last Name", "Phone Number", "Company", "Town", "Favourite Colour!"]
        #expect(ImportMapping.propose(header, target: .customers) ==
                ["email", "first_name", "last_name", "phone", "company", "city", "properties.favourite_colour"])
    }

    @Test func aFieldIsProposedOnceAndCaseAndPunctuationDoNotMatter() {
        #expect(ImportMapping.propose(["EMAIL", "e_mail", "Name"], target: .customers) == ["email", "properties.e_mail", "name"])
    }

    @Test func companiesAndEntries() {
        #expect(ImportMapping.propose(["Company Name", "Website", "Sector", "Employees"], target: .companies) ==
                ["name", "domain", "industry", "size"])
        #expect(ImportMapping.propose(["Deal Name", "Stage", "External ID", "Amount", "Contact Email", "Notes"], target: .entity(3),
                                      fieldKeys: ["amount", "email"], fieldNames: ["email": "Contact Email"]) ==
                ["title", "stage", "reference_id", "values.amount", "values.email", nil])
    }

    @Test func checkRefusesUnknownFieldsTwiceMappedFieldsAndWrongLengths() {
        var errors = Web.ValidationErrors()
        ImportMapping.check(["email", "email", "shoe_size", "properties.x"], header: ["a", "b", "c", "d"], target: .customers,
                            fieldKeys: [], errors: &errors)
        #expect(errors.has("mapping.1") && errors.has("mapping.2") && !errors.has("mapping.3"))
        var short = Web.ValidationErrors()
        ImportMapping.check(["email"], header: ["a", "b"], target: .customers, fieldKeys: [], errors: &short)
        #expect(short.has("mapping"))
        var entries = Web.ValidationErrors()
        ImportMapping.check(["properties.x"], header: ["a"], target: .entity(1), fieldKeys: [], errors: &entries)
        #expect(entries.has("mapping.0"))
    }

    @Test func targets() {
        #expect(ImportTarget("entity:12") == .entity(12))
        #expect(ImportTarget("entity:x") == nil && ImportTarget("people") == nil && ImportTarget("entity:0") == nil)
        #expect(ImportTarget.companies.name == "companies")
    }
}
