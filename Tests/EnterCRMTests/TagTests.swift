import Testing
import Web
@testable import Tags
@testable import Segments

/// What a tag is (Tags.normalize), the `tag=` filter's forms, and the segment language's tag
/// condition, without a database.
struct TagTests {
    @Test func tagsAreTrimmedCollapsedAndCountedOnceWhateverTheirCase() {
        var errors = ValidationErrors()
        #expect(Tags.normalize(["  VIP ", "vip", "Big \t  Spender", "big spender"], errors: &errors) == ["VIP", "Big Spender"])
        #expect(errors.isEmpty)
        #expect(Tags.normalize("Solo", errors: &errors) == ["Solo"])
        #expect(Tags.normalize(nil, errors: &errors) == [])
    }

    @Test func badTagsAre422sNamingTheField() {
        for bad: JSON in [["   "], [.string(String(repeating: "x", count: 51))], [1], ["a\u{7}b"], ["ok": 1],
                          .array((0...20).map { .string("t\($0)") })] {
            var errors = ValidationErrors()
            #expect(Tags.normalize(bad, field: "tags", errors: &errors) == nil, "\(bad)")
            #expect(errors.fields.map(\.field) == ["tags"], "\(bad)")
        }
    }

    @Test func theListFilterTakesRepeatsAndCommas() {
        var errors = ValidationErrors()
        #expect(Tags.filter("q=x&tag=Big%20Spender,vip&tag=Gold&tags=gold", errors: &errors) == ["Big Spender", "vip", "Gold"])
        #expect(Tags.filter("q=x&tag=", errors: &errors) == nil)
        #expect(errors.isEmpty)
        _ = Tags.filter("tag=" + String(repeating: "y", count: 60), errors: &errors)
        #expect(errors.fields.map(\.field) == ["tag"])
    }

    @Test func theSegmentLanguageHasATagCondition() {
        var errors = ValidationErrors()
        #expect(SegmentFilter.parse(["tag": " VIP "], errors: &errors) == .tags(["VIP"]))
        #expect(SegmentFilter.parse(["any": [["tag": ["a", "b"]], ["country": "HR"]]], errors: &errors)
            == .any([.tags(["a", "b"]), .text(.country, ["HR"])]))
        #expect(errors.isEmpty)
        #expect(SegmentFilter.parse(["tag": []], errors: &errors) == nil)
        #expect(errors.fields.map(\.field) == ["filters.tag"])
        #expect(SegmentFilter.tags(["x"]).readsActivity == false && SegmentFilter.tags(["x"]).usesAnalytics == false)
    }
}
