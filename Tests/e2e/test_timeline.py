"""A customer's timeline through nginx: 10,000 events and a segment entry merged newest first,
paged by cursor without overlap or gap (also while new events arrive), type filters, the
checks of its parameters, and another workspace's customer answering 404."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

from .support import new_session
from .test_customers import post_with_patience

EVENTS = 10_000


@pytest.fixture(scope="module")
def ws(base: str) -> dict:
    http = new_session("127.0.0.233")
    r = post_with_patience(http, f"{base}/v1/auth/register", {
        "name": "Tim Line", "email": f"timeline-{uuid.uuid4().hex[:10]}@company.com", "password": "secret123",
        "workspace_name": "Timeline E2E",
    })
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    key = http.post(f"{base}/v1/api-keys", json={"name": "Server"}, headers=auth).json()["key"]
    return {"http": http, "auth": auth, "key": {"X-API-Key": key}}


def pages(base: str, ws: dict, customer: int, query: str = "", limit: int = 100) -> list[list[dict]]:
    got, cursor = [], None
    while True:
        url = f"{base}/v1/customers/{customer}/timeline?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        r = ws["http"].get(url, headers=ws["auth"])
        assert r.status_code == 200, r.text
        body = r.json()
        got.append(body["data"])
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return got
        assert len(body["data"]) == limit, "only the last page may be short"


def test_ten_thousand_items_page_by_cursor_newest_first(base: str, ws: dict) -> None:
    http = ws["http"]
    email = "busy@example.com"
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    # Pairs of events share a time (the tiebreak is the id); a pageview in every ten.
    events = [{
        "customer_email": email,
        **({"type": "pageview", "url": f"https://shop.example/p/{i}"} if i % 10 == 0 else {"event": f"step {i}"}),
        "message_id": f"tl-{i}",
        "occurred_at": (start + dt.timedelta(seconds=i // 2)).isoformat().replace("+00:00", "Z"),
    } for i in range(EVENTS)]
    for i in range(0, EVENTS, 500):
        r = http.post(f"{base}/v1/track/batch", headers=ws["key"], json={"events": events[i:i + 500]})
        assert r.status_code == 200 and r.json()["recorded"] == 500, r.text
    customer = http.get(f"{base}/v1/customers?q=busy@example.com", headers=ws["auth"]).json()["data"][0]["id"]

    # A segment the customer enters: an item of another branch, merged by time.
    seg = http.post(f"{base}/v1/segments", headers=ws["auth"], json={
        "name": "Busy people", "filters": {"event": "step 1", "count_min": 1}}).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        first = http.get(f"{base}/v1/customers/{customer}/timeline?limit=1", headers=ws["auth"]).json()["data"]
        if first and first[0]["type"] == "segment_entered":
            break
        time.sleep(0.2)
    assert first[0]["type"] == "segment_entered", first
    assert first[0]["data"]["segment_id"] == seg["id"] and first[0]["data"]["segment_name"] == "Busy people"
    assert first[0]["actor"] == {"type": "system"}

    got = [item for page in pages(base, ws, customer) for item in page]
    tracked = [item for item in got if item["type"] in ("event", "pageview")]
    assert len(tracked) == EVENTS
    ids = [item["data"]["id"] for item in tracked]
    assert len(set(ids)) == EVENTS, "pages overlapped"
    times = [item["occurred_at"] for item in got]
    assert times == sorted(times, reverse=True), "not newest first"
    # Within one time, the later tracked first: step 9999 before 9998.
    assert [item["data"]["name"] for item in tracked[:2]] == ["step 9999", "step 9998"]
    assert tracked[-1]["type"] == "pageview" and tracked[-1]["data"]["url"] == "https://shop.example/p/0"
    assert tracked[0]["actor"] == {"type": "api_key"}

    # Only pageviews: every tenth event, paged the same way.
    views = [item for page in pages(base, ws, customer, "&type=pageview", limit=97) for item in page]
    assert len(views) == EVENTS // 10 and {item["type"] for item in views} == {"pageview"}


def test_new_items_do_not_shift_the_pages_being_read(base: str, ws: dict) -> None:
    http = ws["http"]
    for i in range(5):
        http.post(f"{base}/v1/track/event", headers=ws["key"], json={
            "customer_email": "steady@example.com", "event": f"old {i}", "occurred_at": f"2026-02-01T00:00:0{i}Z"})
    customer = http.get(f"{base}/v1/customers?q=steady@example.com", headers=ws["auth"]).json()["data"][0]["id"]
    url = f"{base}/v1/customers/{customer}/timeline?limit=2"
    first = http.get(url, headers=ws["auth"]).json()
    assert [i["data"]["name"] for i in first["data"]] == ["old 4", "old 3"]
    # A newer event arrives between the pages: the next page still starts where the first ended.
    http.post(f"{base}/v1/track/event", headers=ws["key"], json={"customer_email": "steady@example.com", "event": "new"})
    second = http.get(f"{url}&cursor={first['meta']['next_cursor']}", headers=ws["auth"]).json()
    assert [i["data"]["name"] for i in second["data"]] == ["old 2", "old 1"]


@pytest.mark.parametrize("query, field", [
    ("type=pageview,nonsense", "type"), ("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"),
    ("cursor=not-a-cursor", "cursor"), ("cursor=MjAyNnwxfDE", "cursor"),
])
def test_bad_parameters_answer_422_naming_them(base: str, ws: dict, query: str, field: str) -> None:
    http = ws["http"]
    http.post(f"{base}/v1/track/event", headers=ws["key"], json={"customer_email": "q@example.com", "event": "x"})
    customer = http.get(f"{base}/v1/customers?q=q@example.com", headers=ws["auth"]).json()["data"][0]["id"]
    r = http.get(f"{base}/v1/customers/{customer}/timeline?{query}", headers=ws["auth"])
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"], r.text


def test_another_workspaces_customer_is_not_found(base: str, ws: dict) -> None:
    http = new_session("127.0.0.234")
    r = post_with_patience(http, f"{base}/v1/auth/register", {
        "name": "Other", "email": f"other-{uuid.uuid4().hex[:10]}@company.com", "password": "secret123",
        "workspace_name": "Other",
    })
    other = {"Authorization": f"Bearer {r.json()['token']}"}
    ws["http"].post(f"{base}/v1/track/event", headers=ws["key"], json={"customer_email": "mine@example.com", "event": "x"})
    mine = ws["http"].get(f"{base}/v1/customers?q=mine@example.com", headers=ws["auth"]).json()["data"][0]["id"]
    r = http.get(f"{base}/v1/customers/{mine}/timeline", headers=other)
    assert r.status_code == 404, r.text
    assert ws["http"].get(f"{base}/v1/customers/999999999/timeline", headers=ws["auth"]).status_code == 404


def test_notes_and_tasks_on_the_timeline_with_their_author(base: str, ws: dict) -> None:
    http, auth = ws["http"], ws["auth"]
    http.post(f"{base}/v1/track/event", headers=ws["key"], json={
        "customer_email": "noted@example.com", "event": "signup", "occurred_at": "2026-01-01T00:00:00Z"})
    customer = http.get(f"{base}/v1/customers?q=noted@example.com", headers=auth).json()["data"][0]["id"]
    r = http.post(f"{base}/v1/notes", headers=auth, json={"subject_type": "customer", "subject_id": customer, "body": "Called, **keen**."})
    assert r.status_code == 201, r.text
    task = http.post(f"{base}/v1/tasks", headers=auth, json={"title": "Send the quote", "subject_type": "customer", "subject_id": customer})
    assert task.status_code == 201, task.text
    done = http.put(f"{base}/v1/tasks/{task.json()['id']}", headers=auth, json={"status": "done"})
    assert done.status_code == 200, done.text

    items = http.get(f"{base}/v1/customers/{customer}/timeline", headers=auth).json()["data"]
    assert [i["type"] for i in items] == ["task_completed", "task_created", "note", "event"], [i["type"] for i in items]
    note = items[2]
    assert note["data"]["body"] == "Called, **keen**." and note["actor"]["type"] == "member" and note["actor"]["name"] == "Tim Line"
    assert items[1]["data"]["title"] == "Send the quote" and items[1]["actor"]["name"] == "Tim Line"
    only = http.get(f"{base}/v1/customers/{customer}/timeline?type=note", headers=auth).json()["data"]
    assert [i["type"] for i in only] == ["note"]


def test_profile_changes_say_field_old_new_and_who(base: str, ws: dict) -> None:
    http, auth = ws["http"], ws["auth"]
    created = http.post(f"{base}/v1/customers", headers=auth, json={
        "name": "Petra Old", "email": "petra@example.com", "city": "Split", "properties": {"plan": "basic", "seats": 2}})
    assert created.status_code == 201, created.text
    customer = created.json()["id"]
    r = http.put(f"{base}/v1/customers/{customer}", headers=auth, json={
        "name": "Petra New", "city": "Split", "properties": {"plan": "premium", "seats": None}})
    assert r.status_code == 200, r.text
    # Identify with the secret key: the API key is the actor.
    r = http.post(f"{base}/v1/track/identify", headers=ws["key"], json={"email": "petra@example.com", "traits": {"phone": "+385 1 234"}})
    assert r.status_code == 200, r.text

    items = http.get(f"{base}/v1/customers/{customer}/timeline?type=profile_changed", headers=auth).json()["data"]
    changes = {(i["data"]["field"], i["actor"]["type"]): (i["data"]["old"], i["data"]["new"]) for i in items}
    assert changes == {
        ("name", "member"): ("Petra Old", "Petra New"),
        ("properties.plan", "member"): ("basic", "premium"),
        ("properties.seats", "member"): (2, None),
        ("phone", "api_key"): (None, "+385 1 234"),
    }, changes
    assert all(i["actor"].get("name") == "Tim Line" for i in items if i["actor"]["type"] == "member")
    assert items[0]["data"]["field"] == "phone", "newest first"

    # An unchanged write records nothing.
    http.put(f"{base}/v1/customers/{customer}", headers=auth, json={"name": "Petra New"})
    again = http.get(f"{base}/v1/customers/{customer}/timeline?type=profile_changed", headers=auth).json()["data"]
    assert len(again) == len(items)

    # The export holds the history, oldest first.
    exported = http.get(f"{base}/v1/customers/{customer}/export", headers=auth).json()
    assert [c["field"] for c in exported["profile_changes"]][-1] == "phone"
    assert {(c["field"], c["actor_type"]) for c in exported["profile_changes"]} == set(changes)

    # Erased, the history goes with the customer.
    assert http.delete(f"{base}/v1/customers/{customer}", headers=auth).status_code == 200
    assert http.get(f"{base}/v1/customers/{customer}/timeline", headers=auth).status_code == 404


def test_an_entrys_timeline_has_its_stage_moves_notes_and_tasks(base: str, ws: dict) -> None:
    http, auth = ws["http"], ws["auth"]
    tenant = http.get(f"{base}/v1/auth/me", headers=auth).json()["tenant"]["id"]
    crm = f"{base}/api/brands/{tenant}/crm"
    assert http.post(f"{crm}/entities", headers=auth, json={"name": "Deals", "slug": "deals", "preset": "deals"}).status_code == 201
    entity = http.get(f"{crm}/entities/deals", headers=auth).json()
    pipeline = entity["pipelines"][0]
    entry = http.post(f"{crm}/entities/deals/entries", headers=auth, json={
        "title": "Acme renewal", "pipeline_id": pipeline["id"], "stage_id": pipeline["stages"][0]["id"]}).json()
    moved = http.put(f"{crm}/entries/{entry['id']}/stage", headers=auth, json={"stage_id": pipeline["stages"][1]["id"]})
    assert moved.status_code == 200, moved.text
    assert http.post(f"{base}/v1/notes", headers=auth, json={"subject_type": "entry", "subject_id": entry["id"], "body": "Budget approved."}).status_code == 201

    for path in (f"{crm}/entries/{entry['id']}/timeline", f"{crm}/entities/deals/entries/{entry['id']}/timeline"):
        items = http.get(path, headers=auth).json()["data"]
        assert [i["type"] for i in items] == ["note", "stage_moved", "stage_moved"], items
        assert items[1]["data"]["from_stage_name"] == pipeline["stages"][0]["name"]
        assert items[1]["data"]["to_stage_name"] == pipeline["stages"][1]["name"]
        assert items[1]["actor"] == {"type": "member", "id": items[1]["actor"]["id"], "name": "Tim Line"}
        assert items[2]["data"]["from_stage_name"] is None
    only = http.get(f"{crm}/entries/{entry['id']}/timeline?type=note", headers=auth).json()["data"]
    assert [i["type"] for i in only] == ["note"]
    # A customer's types select nothing on an entry; a type no record has is a 422.
    r = http.get(f"{crm}/entries/{entry['id']}/timeline?type=pageview", headers=auth)
    assert r.status_code == 200 and r.json()["data"] == [], r.text
    assert http.get(f"{crm}/entries/{entry['id']}/timeline?type=planet", headers=auth).status_code == 422
    assert http.get(f"{crm}/entries/nope/timeline", headers=auth).status_code == 404
