"""Segments through nginx, with the stack's own job runner: the seed's examples, the filter
language's errors, membership that follows tracking within seconds, the built-in RFM
segments, history and the CSV export."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from .support import new_session
from .test_customers import post_with_patience


def register(base: str, http: requests.Session, name: str) -> dict:
    email = f"e2e-seg-{uuid.uuid4().hex[:10]}@company.com"
    r = post_with_patience(http, f"{base}/v1/auth/register", {
        "name": "Jane Smith", "email": email, "password": "secret123", "workspace_name": name,
    })
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    secret = http.post(f"{base}/v1/api-keys", json={"name": "Server"}, headers=auth).json()["key"]
    return {"auth": auth, "secret": secret}


@pytest.fixture(scope="module")
def ws(base: str) -> dict:
    # From an address of its own: registration is rate limited per address.
    http = new_session("127.0.0.77")
    w = register(base, http, "Segments E2E")
    w["http"] = http
    w["other"] = register(base, http, "Segments E2E other")
    return w


def wait_ready(base: str, ws: dict, segment_id: int, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = ws["http"].get(f"{base}/v1/segments/{segment_id}", headers=ws["auth"]).json()
        if body["status"] == "ready" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def track(base: str, ws: dict, email: str, event: str = "purchase", **properties) -> dict:
    r = ws["http"].post(f"{base}/v1/track/event", headers={"X-API-Key": ws["secret"]},
                        json={"customer_email": email, "event": event, "properties": properties})
    assert r.status_code == 200, r.text
    return r.json()


def test_seed_examples(base: str, ws: dict) -> None:
    http, auth = ws["http"], ws["auth"]
    for i in range(3):
        track(base, ws, f"buyer{i}@example.com", amount=100 * (i + 1))
    created = http.post(f"{base}/v1/segments", headers=auth, json={
        "name": "Big spenders", "description": "More than 150 spent", "color": "#34d399",
        "filters": {"clv_total_min": 150, "purchase_count_min": 1},
    })
    assert created.status_code == 201, created.text
    body = created.json()
    assert list(body)[:6] == ["id", "name", "description", "color", "customers_count", "created_at"]
    assert body["created_at"].endswith("Z")
    detail = wait_ready(base, ws, body["id"])
    assert detail["status"] == "ready"
    assert list(detail)[:5] == ["id", "name", "filters", "customers_count", "customers"]
    assert detail["filters"] == {"clv_total_min": 150, "purchase_count_min": 1}
    assert detail["customers_count"] == 2
    assert {c["email"] for c in detail["customers"]} == {"buyer1@example.com", "buyer2@example.com"}
    assert set(detail["customers"][0]) >= {"id", "name", "email", "rfm_score", "clv_total"}

    listed = http.get(f"{base}/v1/segments", headers=auth).json()
    mine = next(s for s in listed["data"] if s["id"] == body["id"])
    assert mine["customers_count"] == 2 and mine["color"] == "#34d399"
    champions = next(s for s in listed["data"] if s["name"] == "Champions")
    assert champions["system"] is True and champions["color"] == "#34d399"
    at_risk = next(s for s in listed["data"] if s["name"] == "At Risk")
    assert at_risk["color"] == "#fbbf24"
    assert http.put(f"{base}/v1/segments/{champions['id']}", headers=auth, json={"name": "x"}).status_code == 403
    assert http.delete(f"{base}/v1/segments/{champions['id']}", headers=auth).status_code == 403

    profile = http.get(f"{base}/v1/customers/{detail['customers'][0]['id']}", headers=auth).json()
    assert "Big spenders" in profile["segments"]

    csv = http.get(f"{base}/v1/segments/{body['id']}/export.csv", headers=auth)
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 3 and "buyer2@example.com" in csv.text

    history = http.get(f"{base}/v1/segments/{body['id']}/history?days=14", headers=auth).json()
    assert len(history["data"]) == 14 and history["data"][-1]["customers_count"] == 2


def test_an_event_moves_a_customer_in_within_5_seconds(base: str, ws: dict) -> None:
    http, auth = ws["http"], ws["auth"]
    track(base, ws, "repeat@example.com", amount=10)
    seg = http.post(f"{base}/v1/segments", headers=auth, json={
        "name": "Repeat buyers", "filters": {"event": "purchase", "within_days": 30, "count_min": 2},
    }).json()
    assert wait_ready(base, ws, seg["id"])["customers_count"] == 0
    sent = time.monotonic()
    track(base, ws, "repeat@example.com", amount=20)
    while time.monotonic() - sent < 5:
        detail = http.get(f"{base}/v1/segments/{seg['id']}", headers=auth).json()
        if detail["customers_count"] == 1:
            break
        time.sleep(0.1)
    took = time.monotonic() - sent
    assert detail["customers_count"] == 1, "the customer did not enter within 5 s"
    assert detail["status"] == "ready" and detail["customers"][0]["email"] == "repeat@example.com"
    print(f"entered the segment {took:.2f} s after the event")


def test_filter_errors_cycles_and_isolation(base: str, ws: dict) -> None:
    http, auth = ws["http"], ws["auth"]
    bad = http.post(f"{base}/v1/segments", headers=auth, json={
        "name": "Bad", "filters": {"any": [{"country": "HR"}, {"shoe_size_min": 42}]},
    })
    assert bad.status_code == 422
    assert "filters.any[1].shoe_size_min" in bad.json()["errors"], bad.text
    typed = http.post(f"{base}/v1/segments/preview", headers=auth, json={"filters": {"rfm_score_min": "twelve"}})
    assert typed.status_code == 422 and "filters.rfm_score_min" in typed.json()["errors"]

    a = http.post(f"{base}/v1/segments", headers=auth, json={"name": "Cycle A", "filters": {"country": "HR"}}).json()["id"]
    b = http.post(f"{base}/v1/segments", headers=auth, json={"name": "Cycle B", "filters": {"in_segment": a}}).json()["id"]
    cycle = http.put(f"{base}/v1/segments/{a}", headers=auth, json={"filters": {"not": {"in_segment": b}}})
    assert cycle.status_code == 422 and "cycle" in cycle.json()["errors"]["filters"][0]

    other = ws["other"]["auth"]
    assert http.get(f"{base}/v1/segments/{a}", headers=other).status_code == 404
    assert http.get(f"{base}/v1/segments/{a}/export.csv", headers=other).status_code == 404
    assert http.delete(f"{base}/v1/segments/{a}", headers=other).status_code == 404
    leak = http.post(f"{base}/v1/segments/preview", headers=other, json={"filters": {"in_segment": a}})
    assert leak.status_code == 422

    preview = http.post(f"{base}/v1/segments/preview", headers=auth, json={
        "filters": {"all": [{"purchase_count_min": 1}, {"email_domain": "example.com"}]},
    })
    assert preview.status_code == 200
    assert preview.json()["customers_count"] >= 1 and len(preview.json()["customers"]) >= 1


def test_company_fields_and_owner_follow_the_company_and_the_customer(base: str, ws: dict) -> None:
    """The filter language reads the customer's company (company.industry and the others,
    company_id) and owner; a change to the company, or its deletion, re-evaluates its customers."""
    http, auth = ws["http"], ws["auth"]
    tag = uuid.uuid4().hex[:6]
    me = http.get(f"{base}/v1/auth/me", headers=auth).json()["user"]["id"]
    acme = http.post(f"{base}/v1/companies", headers=auth, json={"name": f"Acme {tag}", "industry": "Software", "country": "hr"}).json()
    shop = http.post(f"{base}/v1/companies", headers=auth, json={"name": f"Shop {tag}", "industry": "Retail"}).json()

    def person(name: str, **fields) -> int:
        r = http.post(f"{base}/v1/customers", headers=auth, json={"name": name, "email": f"{name.lower()}-{tag}@example.com", **fields})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    ana, ben, cid = person("Ana", company_id=acme["id"]), person("Ben", company_id=shop["id"], owner_id=me), person("Cid")
    software = http.post(f"{base}/v1/segments", headers=auth, json={
        "name": f"Software {tag}", "filters": {"company.industry": "Software", "company.country": "HR"}}).json()
    owned = http.post(f"{base}/v1/segments", headers=auth, json={
        "name": f"Mine {tag}", "filters": {"any": [{"owner_id": me}, {"company_id": [acme["id"]]}]}}).json()

    def members(segment: dict) -> set[int]:
        wait_ready(base, ws, segment["id"])
        body = http.get(f"{base}/v1/customers?segment_id={segment['id']}&per_page=100", headers=auth).json()
        return {c["id"] for c in body["data"]}

    def eventually(segment: dict, expected: set[int]) -> None:
        deadline = time.monotonic() + 10
        while members(segment) != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert members(segment) == expected

    assert members(software) == {ana}
    assert members(owned) == {ana, ben}
    # The company changes: its customers are re-evaluated.
    assert http.put(f"{base}/v1/companies/{shop['id']}", headers=auth, json={"industry": "Software", "country": "HR"}).status_code == 200
    eventually(software, {ana, ben})
    # The customer moves: re-evaluated as any profile change is.
    assert http.put(f"{base}/v1/customers/{cid}", headers=auth, json={"company_id": acme["id"]}).status_code == 200
    eventually(software, {ana, ben, cid})
    eventually(owned, {ana, ben, cid})
    # The company is deleted: its customers leave.
    assert http.delete(f"{base}/v1/companies/{acme['id']}", headers=auth).status_code == 200
    eventually(software, {ben})
    eventually(owned, {ben})

    # Bad values are 422s naming the key.
    for filters, key in (({"owner_id": "me"}, "filters.owner_id"), ({"company_id": [0]}, "filters.company_id"),
                         ({"company.industry": []}, "filters.company.industry"), ({"company.planet": "x"}, "filters.company.planet")):
        r = http.post(f"{base}/v1/segments", headers=auth, json={"name": f"Bad {tag}", "filters": filters})
        assert r.status_code == 422 and key in r.json()["errors"], (filters, r.text)
