import MariaDB
import Core

/// What automations add to a customer's timeline: each step their enrolments ran (the
/// automation's own step log, `automation_steps`).
package enum AutomationTimeline {
    package static let branches = [
        TimelineBranch(
            subject: "customer", types: ["automation_step"],
            type: "'automation_step'", occurredAt: "st.created_at", id: "st.id",
            data: """
                JSON_OBJECT('automation_id', st.automation_id, 'automation_name', a.name, 'node_id', st.node_id,
                            'node_type', st.node_type, 'outcome', st.outcome, 'detail', st.detail)
                """,
            from: """
                automation_enrolments en FORCE INDEX (idx_enrolments_customer)
                JOIN automation_steps st ON st.enrolment_id = en.id JOIN automations a ON a.id = st.automation_id
                """,
            of: { tenant, id in "en.tenant_id = \(tenant) AND en.customer_id = \(id)" }),
    ]
}
