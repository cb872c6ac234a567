import Foundation
import MariaDB
import Web
import Core
import Jobs

/// `GET /pipelines/{pipeline}/stats[?sum_field=amount]`: per stage the entries and the sum of
/// a number field (the deal value), the conversion from each stage to the next, and the
/// win rate.
///
/// Counts and sums come from the per-stage tallies that every write keeps. Conversion follows
/// the stage history: an entry has *reached* a stage when it was ever in it or in a later one
/// (lost stages aside, so a lost deal counts for the stages it passed; an entry moved to
/// another pipeline still counts for what it reached here).
/// The rate from a stage to the next is reached(next) / reached(stage). The win rate is
/// won / (won + lost) among entries now in a won or a lost stage.
package enum PipelineStats {
    @Sendable static func show(_ c: Context) throws -> Response {
        let pipeline = try Pipeline.require(c)
        let fields = try Field.all(c.db, c.tenant, entityID: pipeline.entityID)
        let sumField: Field?
        if let raw = c.request.query["sum_field"], !raw.isEmpty {
            guard let field = fields.first(where: { $0.key == raw || String($0.id) == raw }), field.type == .number else {
                throw HTTPError.invalid("sum_field", "The sum field must be a number field of the entity (\(fields.filter { $0.type == .number }.map(\.key).joined(separator: ", "))).")
            }
            sumField = field
        } else {
            sumField = defaultSumField(fields)
        }
        return .json(try stats(c.db, c.tenant, pipeline, sumField: sumField))
    }

    /// The deal value when none is asked for: the number field `amount`, else the first number field.
    static func defaultSumField(_ fields: [Field]) -> Field? {
        fields.first { $0.type == .number && $0.key == "amount" } ?? fields.first { $0.type == .number }
    }

    /// The stats of a pipeline summed on its default deal value (the home dashboard's funnel;
    /// `totals.open_sum` is the open pipeline value).
    package static func stats(_ db: Connection, _ tenant: Tenant, _ pipeline: Pipeline) throws -> JSON {
        try stats(db, tenant, pipeline, sumField: defaultSumField(try Field.all(db, tenant, entityID: pipeline.entityID)))
    }

    static func stats(_ db: Connection, _ tenant: Tenant, _ pipeline: Pipeline, sumField: Field?) throws -> JSON {
        // Kept by every write (crm_stage_counts, crm_stage_sums): no entry is read here.
        var counts: [Int: (count: Int, sum: String?)] = [:]
        for row in try db.query("""
            SELECT c.stage_id, c.entries AS n, m.total
            FROM crm_stage_counts c
            LEFT JOIN crm_stage_sums m ON m.tenant_id = c.tenant_id AND m.stage_id = c.stage_id AND m.field_id = \(sumField?.id ?? 0)
            WHERE c.tenant_id = \(tenant) AND c.entity_id = \(pipeline.entityID) AND c.pipeline_id = \(pipeline.id)
            """) {
            counts[try row.int("stage_id")] = (try row.int("n"), row.optionalDecimal("total"))
        }

        // How many entries got at least as far as each position (lost stages aside).
        let entries = counts.values.reduce(0) { $0 + $1.count }
        let (furthest, computedAt) = try reach(db, tenant, pipeline.id, entries: entries)
        let funnel = pipeline.stages.filter { $0.status != .lost }
        func reached(_ stage: Stage) -> Int { furthest.filter { $0.key >= stage.position }.values.reduce(0, +) }
        func rate(_ part: Int, _ whole: Int) -> JSON { whole == 0 ? .null : .double((Double(part) / Double(whole) * 10_000).rounded() / 10_000) }

        var stages: [JSON] = []
        var conversions: [JSON] = []
        var total = 0, open = 0, won = 0, lost = 0
        var sums: [StageStatus: Decimal] = [:]
        var sumAll = Decimal(0)
        for stage in pipeline.stages {
            let (count, sum) = counts[stage.id] ?? (0, nil)
            total += count
            switch stage.status {
            case .active: open += count
            case .won: won += count
            case .lost: lost += count
            }
            let value = sum.flatMap { Decimal(string: $0) } ?? 0
            sums[stage.status, default: 0] += value
            sumAll += value
            var object = stage.json.objectValue!
            object["count"] = .int(count)
            object["sum"] = sumField == nil ? .null : .number(Self.text(value))
            var conversion: JSON = .null
            if stage.status != .lost {
                object["reached"] = .int(reached(stage))
                if let i = funnel.firstIndex(where: { $0.id == stage.id }), i + 1 < funnel.count {
                    let next = funnel[i + 1]
                    conversion = rate(reached(next), reached(stage))
                    conversions.append(["from_stage_id": .int(stage.id), "to_stage_id": .int(next.id), "rate": conversion])
                }
            } else {
                object["reached"] = .null
            }
            object["conversion_rate"] = conversion
            stages.append(.object(object))
        }
        let money: (Decimal) -> JSON = { sumField == nil ? .null : .number(Self.text($0)) }
        return [
            "pipeline_id": .int(pipeline.id), "name": .string(pipeline.name), "crm_entity_id": .int(pipeline.entityID),
            "sum_field": sumField.map { ["id": .int($0.id), "key": .string($0.key), "name": .string($0.name)] } ?? .null,
            "stages": .array(stages),
            "conversions": .array(conversions),
            "totals": [
                "count": .int(total), "open": .int(open), "won": .int(won), "lost": .int(lost),
                "sum": money(sumAll), "open_sum": money(sums[.active] ?? 0), "won_sum": money(sums[.won] ?? 0),
                "lost_sum": money(sums[.lost] ?? 0),
            ],
            "win_rate": rate(won, won + lost),
            "conversion_computed_at": .date(computedAt),
        ]
    }

    /// Pipelines up to `exactLimit` entries get their reach computed on every request; up to
    /// `synchronousLimit`, at most once a minute; larger ones are served from the last
    /// computation while the job runner makes a new one.
    static let exactLimit = 2_000
    static let synchronousLimit = 20_000
    static let freshness: TimeInterval = 60

    /// Entries by the furthest position they reached, from `crm_pipeline_reach` when fresh.
    static func reach(_ db: Connection, _ tenant: Tenant, _ pipelineID: Int, entries: Int) throws -> ([Int: Int], Date) {
        if entries <= exactLimit { return try recompute(db, tenant, pipelineID) }
        if let row = try db.queryOne("""
            SELECT reached, computed_at FROM crm_pipeline_reach WHERE tenant_id = \(tenant) AND pipeline_id = \(pipelineID)
            """), let at = row.optionalDate("computed_at") {
            let cached = decode(row.optionalString("reached") ?? "{}")
            if Date().timeIntervalSince(at) < freshness { return (cached, at) }
            if entries > synchronousLimit {
                let bucket = Int(Date().timeIntervalSince1970 / freshness)
                try JobQueue.enqueue(db, kind: jobKind, payload: ["pipeline_id": .int(pipelineID)], tenantID: tenant.id,
                                     maxAttempts: 2, uniqueKey: "\(jobKind):\(tenant.id):\(pipelineID):\(bucket)")
                return (cached, at)
            }
        }
        return try recompute(db, tenant, pipelineID)
    }

    /// One pass over the pipeline's stage history; the result is kept for the next minute.
    @discardableResult
    static func recompute(_ db: Connection, _ tenant: Tenant, _ pipelineID: Int) throws -> ([Int: Int], Date) {
        var furthest: [Int: Int] = [:]
        for row in try db.query("""
            SELECT t.furthest, COUNT(*) AS n FROM (
                SELECT h.entry_id, MAX(s.position) AS furthest
                FROM crm_stage_history h
                JOIN crm_stages s ON s.tenant_id = h.tenant_id AND s.id = h.to_stage_id AND s.status <> 'lost'
                WHERE h.tenant_id = \(tenant) AND h.pipeline_id = \(pipelineID)
                GROUP BY h.entry_id
            ) t GROUP BY t.furthest
            """) {
            furthest[try row.int("furthest")] = try row.int("n")
        }
        let now = Date()
        let text = JSONWriter.string(.object(JSONObject(furthest.keys.sorted().map { (String($0), .int(furthest[$0]!)) })))
        try db.execute("""
            INSERT INTO crm_pipeline_reach (tenant_id, pipeline_id, reached, computed_at) VALUES (\(tenant), \(pipelineID), \(text), \(now))
            ON DUPLICATE KEY UPDATE reached = VALUES(reached), computed_at = VALUES(computed_at)
            """)
        return (furthest, now)
    }

    static func decode(_ text: String) -> [Int: Int] {
        var result: [Int: Int] = [:]
        for (key, value) in (try? JSONParser.parse(text))?.objectValue ?? JSONObject() {
            if let position = Int(key), let n = value.intValue { result[position] = n }
        }
        return result
    }

    /// Positions changed or stages came and went: the reach table no longer reads right.
    static func forget(_ db: Connection, _ tenant: Tenant, pipelineID: Int) throws {
        try db.execute("DELETE FROM crm_pipeline_reach WHERE tenant_id = \(tenant) AND pipeline_id = \(pipelineID)")
    }

    static let jobKind = "crm.pipeline_reach"

    /// The job that recomputes a large pipeline's reach table.
    package static func register(_ registry: inout JobRegistry) {
        registry.register(jobKind, maxAttempts: 2, leaseSeconds: 600) { context in
            guard let tenantID = context.job.tenantID, let pipelineID = context.job.payload["pipeline_id"]?.intValue else { return }
            try recompute(context.db, Tenant(id: tenantID), pipelineID)
        }
    }

    /// Exact decimal text: "1250.5" stays as it is, never 1250.499999.
    static func text(_ d: Decimal) -> String {
        var value = d
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, .plain)
        return NSDecimalNumber(decimal: rounded).stringValue
    }
}
