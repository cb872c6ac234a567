"""Automations through nginx: the seed's examples (list, create, design), validation, and a
flow run by the real job runner within seconds of the customer it reacts to."""

from __future__ import annotations

import time
import uuid

import pytest

from .support import new_session


@pytest.fixture(scope="module")
def workspace(base: str) -> dict:
    http = new_session("127.0.0.79")
    email = f"e2e-{uuid.uuid4().hex[:10]}@company.com"
    for _ in range(8):
        r = http.post(f"{base}/v1/auth/register", json={
            "name": "Jane Smith", "email": email, "password": "secret123", "workspace_name": "Automations E2E"}, timeout=30)
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    assert r.status_code == 201, r.text
    key = http.post(f"{base}/v1/api-keys", json={"name": "Server"},
                    headers={"Authorization": f"Bearer {r.json()['token']}"}).json()["key"]
    return {"http": http, "headers": {"X-API-Key": key}}


def test_the_seeds_automation_examples(base, workspace):
    http, headers = workspace["http"], workspace["headers"]
    r = http.post(f"{base}/v1/automations", headers=headers, json={
        "name": "Win-Back Campaign", "trigger_type": "customer_inactive", "trigger_config": {"inactive_days": 60}, "is_active": False})
    assert r.status_code == 201, r.text
    made = r.json()
    assert list(made) == ["id", "name", "trigger_type", "is_active", "steps_count", "created_at"]
    assert made["name"] == "Win-Back Campaign" and made["is_active"] is False and made["steps_count"] == 0
    assert made["created_at"].endswith("Z")
    r = http.post(f"{base}/v1/automations/{made['id']}/design", headers=headers, json={
        "nodes": [
            {"id": "1", "type": "trigger", "data": {"label": "Customer Inactive"}, "position": {"x": 250, "y": 50}},
            {"id": "2", "type": "action", "data": {"label": "Send Email", "email_template": "win-back-1"}, "position": {"x": 250, "y": 180}},
        ],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}],
    })
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "automation_id": made["id"], "saved": True, "nodes_count": 2, "edges_count": 1}
    listed = http.get(f"{base}/v1/automations", headers=headers).json()["data"]
    row = next(a for a in listed if a["id"] == made["id"])
    assert row["trigger_type"] == "customer_inactive" and row["steps_count"] == 1 and row["total_enrolled"] == 0
    bad = http.post(f"{base}/v1/automations/{made['id']}/design", headers=headers, json={
        "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 0, "y": 0}},
                  {"id": "2", "type": "action", "data": {"action": "launch_rocket"}, "position": {"x": 0, "y": 100}}],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}]})
    assert bad.status_code == 422
    assert "nodes.2" in bad.json()["errors"]


def test_the_job_runner_runs_a_flow(base, workspace):
    http, headers = workspace["http"], workspace["headers"]
    made = http.post(f"{base}/v1/automations", headers=headers, json={"name": "Tag new customers", "trigger_type": "customer_created"}).json()
    http.post(f"{base}/v1/automations/{made['id']}/design", headers=headers, json={
        "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 0, "y": 0}},
                  {"id": "2", "type": "action", "data": {"action": "add_tag", "tag": "welcomed"}, "position": {"x": 0, "y": 100}}],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}]}).raise_for_status()
    assert http.post(f"{base}/v1/automations/{made['id']}/activate", headers=headers).json()["is_active"] is True
    time.sleep(1.2)
    customer = http.post(f"{base}/v1/customers", headers=headers, json={"email": f"{uuid.uuid4().hex[:8]}@example.com"}).json()
    deadline = time.monotonic() + 20
    properties = {}
    while time.monotonic() < deadline:
        properties = http.get(f"{base}/v1/customers/{customer['id']}", headers=headers).json()["properties"]
        if properties.get("tags") == ["welcomed"]:
            break
        time.sleep(0.25)
    assert properties.get("tags") == ["welcomed"]
    detail = http.get(f"{base}/v1/automations/{made['id']}", headers=headers).json()
    assert detail["total_enrolled"] == 1
    assert detail["node_counts"]["2"]["completed"] == 1
    enrolments = http.get(f"{base}/v1/automations/{made['id']}/enrolments", headers=headers).json()["data"]
    assert [s["node_id"] for s in enrolments[0]["path"]] == ["1", "2"]


def test_a_tracked_event_into_a_segment_enrols_within_seconds(base, workspace):
    """The real evaluator and engine in `entercrm jobs`: a tracked event moves a customer into
    a segment; the segment_entered automation enrols them, its condition (the segments filter
    language) sends them down "yes", and the entry shows on the customer's timeline."""
    http, headers = workspace["http"], workspace["headers"]
    sku = f"sku-{uuid.uuid4().hex[:8]}"
    segment = http.post(f"{base}/v1/segments", headers=headers, json={
        "name": f"Bought {sku}", "filters": {"event": "purchase", "properties": {"sku": sku}}})
    assert segment.status_code == 201, segment.text
    segment_id = segment.json()["id"]
    made = http.post(f"{base}/v1/automations", headers=headers, json={
        "name": f"Thank {sku} buyers", "trigger_type": "segment_entered", "trigger_config": {"segment_id": segment_id}}).json()
    condition = {"id": "2", "type": "condition", "position": {"x": 0, "y": 100},
                 "data": {"filters": {"all": [{"in_segment": segment_id}, {"event": "purchase", "count_min": 1}]}}}
    r = http.post(f"{base}/v1/automations/{made['id']}/design", headers=headers, json={
        "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 0, "y": 0}}, condition,
                  {"id": "3", "type": "action", "data": {"action": "add_tag", "tag": sku}, "position": {"x": 0, "y": 200}},
                  {"id": "4", "type": "exit", "data": {}, "position": {"x": 200, "y": 200}}],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}, {"id": "e2-3", "source": "2", "target": "3", "sourceHandle": "yes"},
                  {"id": "e2-4", "source": "2", "target": "4", "sourceHandle": "no"}]})
    assert r.status_code == 200, r.text
    bad = http.post(f"{base}/v1/automations/{made['id']}/design", headers=headers, json={
        "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 0, "y": 0}},
                  {**condition, "data": {"filters": {"purchase_count_min": "many"}}},
                  {"id": "3", "type": "exit", "data": {}, "position": {"x": 0, "y": 200}},
                  {"id": "4", "type": "exit", "data": {}, "position": {"x": 200, "y": 200}}],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}, {"id": "e2-3", "source": "2", "target": "3", "sourceHandle": "yes"},
                  {"id": "e2-4", "source": "2", "target": "4", "sourceHandle": "no"}]})
    assert bad.status_code == 422
    assert bad.json()["errors"]["nodes.2"] == ["Condition 2: filters.purchase_count_min: The purchase_count_min value must be a number."]
    assert http.post(f"{base}/v1/automations/{made['id']}/activate", headers=headers).json()["is_active"] is True

    sent = time.monotonic()
    tracked = http.post(f"{base}/v1/track/event", headers=headers, json={
        "customer_email": f"{sku}@example.com", "event": "purchase", "properties": {"sku": sku, "amount": 25}})
    assert tracked.status_code == 200, tracked.text
    customer = tracked.json()["customer_id"]
    properties = {}
    while time.monotonic() < sent + 20:
        properties = http.get(f"{base}/v1/customers/{customer}", headers=headers).json()["properties"]
        if sku in properties.get("tags", []):
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - sent
    assert sku in properties.get("tags", []), properties
    assert elapsed < 10, f"enrolled and tagged after {elapsed:.1f} s"
    enrolments = http.get(f"{base}/v1/automations/{made['id']}/enrolments", headers=headers).json()["data"]
    assert [s["node_id"] for s in enrolments[0]["path"]][:3] == ["1", "2", "3"]

    timeline = http.get(f"{base}/v1/customers/{customer}/events", headers=headers).json()
    assert timeline["meta"]["total"] == 2
    assert {item["type"] for item in timeline["data"]} == {"event", "segment_entered"}
    entered = next(item for item in timeline["data"] if item["type"] == "segment_entered")
    assert entered["properties"]["segment_id"] == segment_id


def test_email_templates_and_the_seeds_win_back(base, workspace):
    """Saved templates through nginx: the contract's win-back-1 design activates once the
    template exists, the preview renders the campaigns' merge tags, and an active
    automation's template is not deleted (409 naming it)."""
    http, headers = workspace["http"], workspace["headers"]
    key = f"win-back-{uuid.uuid4().hex[:6]}"
    made = http.post(f"{base}/v1/automations", headers=headers, json={
        "name": "Win-Back E2E", "trigger_type": "customer_inactive", "trigger_config": {"inactive_days": 60}}).json()
    design = {"nodes": [{"id": "1", "type": "trigger", "data": {"label": "Customer Inactive"}, "position": {"x": 250, "y": 50}},
                        {"id": "2", "type": "action", "data": {"label": "Send Email", "email_template": key}, "position": {"x": 250, "y": 180}}],
              "edges": [{"id": "e1-2", "source": "1", "target": "2"}]}
    assert http.post(f"{base}/v1/automations/{made['id']}/design", headers=headers, json=design).status_code == 200
    refused = http.post(f"{base}/v1/automations/{made['id']}/activate", headers=headers)
    assert refused.status_code == 422 and "nodes.2" in refused.json()["errors"], refused.text
    bad = http.post(f"{base}/v1/email-templates", headers=headers, json={"key": "Not A Slug", "name": "x", "subject": "", "body_html": ""})
    assert bad.status_code == 422 and {"key", "subject", "body_html"} <= set(bad.json()["errors"]), bad.text
    t = http.post(f"{base}/v1/email-templates", headers=headers, json={
        "key": key, "name": "Win-back", "subject": "We miss you, {{first_name|friend}}", "body_html": "<p>Hi {{name}} from {{city|here}}</p>"})
    assert t.status_code == 201, t.text
    tid = t.json()["id"]
    dup = http.post(f"{base}/v1/email-templates", headers=headers, json={"key": key, "name": "x", "subject": "s", "body_html": "<p>x</p>"})
    assert dup.status_code == 422 and "key" in dup.json()["errors"]
    customer = http.post(f"{base}/v1/customers", headers=headers, json={
        "email": f"{uuid.uuid4().hex[:8]}@example.com", "name": "Rosa <Parks>", "city": "Montgomery"}).json()
    p = http.post(f"{base}/v1/email-templates/{tid}/preview", headers=headers, json={"customer_id": customer["id"]})
    assert p.status_code == 200, p.text
    assert p.json()["subject"] == "We miss you, Rosa"
    assert p.json()["html"] == "<p>Hi Rosa &lt;Parks&gt; from Montgomery</p>"
    assert http.post(f"{base}/v1/automations/{made['id']}/activate", headers=headers).json()["is_active"] is True
    gone = http.delete(f"{base}/v1/email-templates/{tid}", headers=headers)
    assert gone.status_code == 409 and "Win-Back E2E" in gone.json()["message"], gone.text
    listed = http.get(f"{base}/v1/email-templates", headers=headers, params={"search": key}).json()
    assert listed["meta"]["total"] == 1 and listed["data"][0]["key"] == key
    http.post(f"{base}/v1/automations/{made['id']}/deactivate", headers=headers).raise_for_status()
    assert http.delete(f"{base}/v1/email-templates/{tid}", headers=headers).status_code == 200
    assert http.get(f"{base}/v1/email-templates/{tid}", headers=headers).status_code == 404
