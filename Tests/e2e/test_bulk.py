"""Bulk actions through nginx (issue 25 part 5): POST /v1/bulk on a list's filter or on ids,
the preview count first, every action through the single edit's write path (tags, owner, a
field, an entry's stage, delete for admins with the erasure's audit rows), more than 1,000
records as a job with progress that resumes after kill -9 of the job runner and changes
every record exactly once, role checks and workspace isolation."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from .test_companies import call, invalid, ok, unique
from .test_tags import customers, entity, workspace


@pytest.fixture(scope="module")
def ws(stack, base: str) -> dict:
    return workspace(stack, base, "127.0.0.172", "Bulk E2E")


def bulk(w: dict, body: dict, who: str = "owner", preview: bool = False):
    return call(w, "POST", "/v1/bulk" + ("?preview=true" if preview else ""), body, who=who)


def many(w: dict, n: int, city: str) -> None:
    """`n` customers of `city`, written straight into the database (the triggers keep the
    counts and the search words)."""
    w["stack"].run("db-shell", "-N", "-e", (
        "INSERT INTO customers (tenant_id, name, email, city, properties, created_at, updated_at) "
        f"SELECT {w['tenant']}, CONCAT('Bulk ', seq), CONCAT('bulk-', seq, '-{uuid.uuid4().hex[:6]}@bulk.test'), '{city}', '{{}}', "
        f"UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM seq_1_to_{n}"))


def test_preview_then_apply_on_a_filter_and_on_ids(ws: dict) -> None:
    city = unique("Filterton")
    made = [ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('f')}@bulk.test", "city": city}), 201) for _ in range(5)]
    ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('x')}@bulk.test", "city": unique("Elsewhere")}), 201)
    tag = unique("Bulk-")
    body = {"target": "customers", "filter": {"city": city}, "action": {"type": "add_tags", "tags": [tag]}}
    preview = ok(bulk(ws, body, preview=True))
    assert preview["count"] == 5 and preview["runs_as_job"] is False
    assert customers(ws, f"tag={tag}") == []  # a preview writes nothing

    done = ok(bulk(ws, body))
    assert (done["status"], done["total"], done["processed"], done["changed"], done["failed"]) == ("done", 5, 5, 5, 0), done
    assert {x["id"] for x in customers(ws, f"tag={tag}")} == {m["id"] for m in made}
    assert ok(call(ws, "GET", f"/v1/bulk/{done['id']}")) == done
    # Again: nothing changes.
    assert ok(bulk(ws, body))["changed"] == 0

    # On ids: remove the tag from two; set a field on them (the history names the change).
    ids = [made[0]["id"], made[1]["id"]]
    assert ok(bulk(ws, {"target": "customers", "ids": ids, "action": {"type": "remove_tags", "tags": [tag]}}))["changed"] == 2
    assert len(customers(ws, f"tag={tag}")) == 3
    new_city = unique("Moved")
    ok(bulk(ws, {"target": "customers", "ids": ids, "action": {"type": "set_field", "field": "city", "value": new_city}}))
    assert {x["id"] for x in customers(ws, f"city={new_city}")} == set(ids)
    timeline = ok(call(ws, "GET", f"/v1/customers/{ids[0]}/timeline?per_page=100"))["data"]
    assert any(t["type"] == "profile_changed" and t["data"]["field"] == "city" and t["data"]["new"] == new_city for t in timeline)
    ok(bulk(ws, {"target": "customers", "ids": ids, "action": {"type": "set_field", "field": "properties.plan", "value": "pro"}}))
    assert ok(call(ws, "GET", f"/v1/customers/{ids[1]}"))["properties"]["plan"] == "pro"

    # Owner: a member of this workspace, or 422 naming the action's field.
    ok(bulk(ws, {"target": "customers", "filter": {"city": city}, "action": {"type": "set_owner", "owner_id": ws["member"]["id"]}}))
    assert {x["id"] for x in customers(ws, f"owner_id={ws['member']['id']}")} == {m["id"] for m in made[2:]}
    invalid(bulk(ws, {"target": "customers", "filter": {"city": city}, "action": {"type": "set_owner", "owner_id": 999999999}}), "action.owner_id")


def test_bad_requests_name_the_field(ws: dict) -> None:
    action = {"type": "add_tags", "tags": ["x"]}
    invalid(bulk(ws, {"target": "planets", "filter": {}, "action": action}), "target")
    invalid(bulk(ws, {"target": "customers", "filter": {"colour": "red"}, "action": action}), "filters.colour")
    invalid(bulk(ws, {"target": "customers", "filter": {"company_id": "abc"}, "action": action}), "filters.company_id")
    invalid(bulk(ws, {"target": "customers", "action": action}), "filter")
    invalid(bulk(ws, {"target": "customers", "filter": {}, "ids": [1], "action": action}), "filter")
    invalid(bulk(ws, {"target": "customers", "ids": ["a"], "action": action}), "ids")
    invalid(bulk(ws, {"target": "customers", "filter": {}, "action": {"type": "explode"}}), "action.type")
    invalid(bulk(ws, {"target": "customers", "filter": {}, "action": {"type": "add_tags", "tags": []}}), "action.tags")
    invalid(bulk(ws, {"target": "customers", "filter": {}, "action": {"type": "add_tags", "tags": ["z" * 51]}}), "action.tags")
    invalid(bulk(ws, {"target": "customers", "filter": {}, "action": {"type": "set_field", "field": "email", "value": "a@b.c"}}), "action.field")
    invalid(bulk(ws, {"target": "customers", "filter": {}, "action": {"type": "set_field", "field": "phone", "value": "abc"}}), "action.phone")
    invalid(bulk(ws, {"target": "companies", "filter": {}, "action": {"type": "set_field", "field": "size", "value": "huge"}}), "action.size")
    invalid(bulk(ws, {"target": "customers", "filter": {}, "action": {"type": "move_stage", "stage_id": 1}}), "action.type")
    invalid(bulk(ws, {"target": "entries", "filter": {}, "action": action}), "entity_id")


def test_companies_and_entries(ws: dict) -> None:
    industry = unique("Widgets")
    cos = [ok(call(ws, "POST", "/v1/companies", {"name": unique("Co "), "industry": industry}), 201) for _ in range(3)]
    done = ok(bulk(ws, {"target": "companies", "filter": {"industry": industry}, "action": {"type": "set_field", "field": "city", "value": "Split"}}))
    assert done["changed"] == 3
    assert all(ok(call(ws, "GET", f"/v1/companies/{c['id']}"))["city"] == "Split" for c in cos)

    e, p = entity(ws)
    crm = f"/api/brands/{ws['tenant']}/crm"
    first, won = p["stages"][0]["id"], p["stages"][1]["id"]
    entries = [ok(call(ws, "POST", f"{crm}/entities/{e['id']}/entries", {"title": f"Deal {i}", "pipeline_id": p["id"], "stage_id": first}), 201)
               for i in range(4)]
    ids = [x["id"] for x in entries[:3]]
    moved = ok(bulk(ws, {"target": "entries", "entity_id": e["id"], "ids": ids, "action": {"type": "move_stage", "stage_id": won}}))
    assert moved["changed"] == 3
    for x in entries:
        got = ok(call(ws, "GET", f"{crm}/entries/{x['id']}"))
        assert got["stage_id"] == (won if x["id"] in ids else first)
        history = ok(call(ws, "GET", f"{crm}/entries/{x['id']}/history"))
        assert len(history["data"] if isinstance(history, dict) else history) == (2 if x["id"] in ids else 1)
    tagged = ok(bulk(ws, {"target": "entries", "entity_id": e["id"], "filter": {"stage_id": won}, "action": {"type": "add_tags", "tags": ["Won"]}}))
    assert tagged["changed"] == 3
    assert ok(call(ws, "GET", f"{crm}/entities/{e['id']}/entries?tag=Won"))["total"] == 3
    invalid(bulk(ws, {"target": "entries", "entity_id": e["id"], "ids": ["nope"], "action": {"type": "add_tags", "tags": ["x"]}}), "ids")
    invalid(bulk(ws, {"target": "entries", "entity_id": e["id"], "filter": {}, "action": {"type": "move_stage", "stage_id": 999999}}), "action.stage_id")


def test_delete_is_for_admins_and_audited(ws: dict) -> None:
    city = unique("Deleteville")
    made = [ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('d')}@bulk.test", "city": city}), 201) for _ in range(3)]
    body = {"target": "customers", "filter": {"city": city}, "action": {"type": "delete"}}
    assert bulk(ws, body, who="member").status_code == 403
    assert bulk(ws, body, who="viewer").status_code == 403
    assert bulk(ws, {**body, "action": {"type": "add_tags", "tags": ["x"]}}, who="viewer").status_code == 403
    assert ok(bulk(ws, body, who="admin", preview=True))["count"] == 3
    assert ok(bulk(ws, body, who="admin"))["changed"] == 3
    for m in made:
        assert call(ws, "GET", f"/v1/customers/{m['id']}").status_code == 404
    log = ok(call(ws, "GET", "/v1/audit-log?per_page=100"))["data"]
    erased = {x["target"]["id"] for x in log if x["action"] == "customer.erased"}
    assert {m["id"] for m in made} <= erased
    assert any(x["action"] == "bulk.applied" for x in log)


def test_other_workspace_sees_nothing(ws: dict) -> None:
    mine = ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('m')}@bulk.test"}), 201)
    other = ws["other"]
    invalid(call(other, "POST", "/v1/bulk", {"target": "customers", "ids": [mine["id"]], "action": {"type": "add_tags", "tags": ["x"]}}), "ids")
    done = ok(bulk(ws, {"target": "customers", "ids": [mine["id"]], "action": {"type": "add_tags", "tags": ["y"]}}))
    assert call(other, "GET", f"/v1/bulk/{done['id']}").status_code == 404
    # An empty filter in another workspace counts only its own records.
    assert ok(call(other, "POST", "/v1/bulk?preview=true", {"target": "customers", "filter": {}, "action": {"type": "add_tags", "tags": ["x"]}}))["count"] == 0


def test_over_a_thousand_runs_as_a_job_and_resumes_after_kill_9(ws: dict) -> None:
    stack = ws["stack"]
    city = unique("Jobtown")
    many(ws, 2500, city)
    body = {"target": "customers", "filter": {"city": city}, "action": {"type": "set_field", "field": "properties.campaign", "value": "spring"}}
    assert ok(bulk(ws, body, preview=True))["runs_as_job"] is True
    queued = ok(bulk(ws, body), 202)
    assert queued["total"] == 2500 and queued["status"] in ("queued", "running")

    def progressed():
        got = ok(call(ws, "GET", f"/v1/bulk/{queued['id']}"))
        return got if got["processed"] > 0 else None
    midway = stack.wait_for(progressed, timeout=60, interval=0.05)
    assert midway and midway["processed"] < 2500, midway
    for pid in stack.jobs_runner_pids():
        os.kill(pid, signal.SIGKILL)

    deadline = time.monotonic() + 150
    while True:
        got = ok(call(ws, "GET", f"/v1/bulk/{queued['id']}"))
        if got["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert got["status"] == "done", got
    # Every record once: processed counts each chunk once, and each change is one history row.
    assert (got["processed"], got["changed"], got["failed"], got["progress"]) == (2500, 2500, 0, 1), got
    rows = stack.run("db-shell", "-N", "-e", (
        "SELECT COUNT(*), COUNT(DISTINCT x.customer_id) FROM customer_changes x JOIN customers c ON c.id = x.customer_id "
        f"WHERE c.tenant_id = {ws['tenant']} AND c.city = '{city}' AND x.field = 'properties.campaign'")).split()
    assert rows == ["2500", "2500"], rows
    assert ok(call(ws, "GET", f"/v1/customers?city={city}&per_page=1"))["meta"]["total"] == 2500


def test_add_to_a_campaigns_audience_through_its_tag(ws: dict) -> None:
    tag = unique("Spring audience ")
    segment = ok(call(ws, "POST", "/v1/segments", {"name": unique("Audience "), "filters": {"tag": tag}}), 201)
    campaign = ok(call(ws, "POST", "/v1/campaigns", {"name": unique("Spring "), "type": "email", "segment_id": segment["id"],
                                                      "subject": "Hello", "body": "Hi {{name}}"}), 201)
    people = [ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('c')}@bulk.test"}), 201) for _ in range(3)]
    done = ok(bulk(ws, {"target": "customers", "ids": [p["id"] for p in people[:2]], "action": {"type": "add_to_campaign", "campaign_id": campaign["id"]}}))
    assert done["changed"] == 2 and done["action"] == {"type": "add_tags", "tags": [tag]}
    deadline = time.monotonic() + 20
    while {x["id"] for x in customers(ws, f"segment_id={segment['id']}")} != {p["id"] for p in people[:2]} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert {x["id"] for x in customers(ws, f"segment_id={segment['id']}")} == {p["id"] for p in people[:2]}

    # A campaign whose audience is not a tag, or of another workspace, or entries: 422 saying so.
    other_segment = ok(call(ws, "POST", "/v1/segments", {"name": unique("Croatia "), "filters": {"country": "HR"}}), 201)
    other = ok(call(ws, "POST", "/v1/campaigns", {"name": unique("HR "), "type": "email", "segment_id": other_segment["id"]}), 201)
    invalid(bulk(ws, {"target": "customers", "ids": [people[2]["id"]], "action": {"type": "add_to_campaign", "campaign_id": other["id"]}}), "action.campaign_id")
    invalid(bulk(ws, {"target": "customers", "ids": [people[2]["id"]], "action": {"type": "add_to_campaign", "campaign_id": 999999999}}), "action.campaign_id")
    invalid(bulk(ws, {"target": "companies", "filter": {}, "action": {"type": "add_to_campaign", "campaign_id": campaign["id"]}}), "action.type")
