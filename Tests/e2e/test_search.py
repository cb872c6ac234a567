"""Search everywhere (GET /v1/search) through nginx: customers, CRM entries, segments,
campaigns, automations and templates of the caller's workspace only, each type cut to the
limit, and its parameters checked."""

from __future__ import annotations

import uuid

import pytest

from .support import new_session
from .test_customers import post_with_patience


def register(base: str, address: str, workspace: str) -> dict:
    http = new_session(address)
    r = post_with_patience(http, f"{base}/v1/auth/register", {
        "name": "Sam Search", "email": f"search-{uuid.uuid4().hex[:10]}@company.com", "password": "secret123",
        "workspace_name": workspace,
    })
    assert r.status_code == 201, r.text
    body = r.json()
    return {"http": http, "auth": {"Authorization": f"Bearer {body['token']}"}, "tenant": body["tenant"]["id"]}


@pytest.fixture(scope="module")
def two(base: str) -> tuple[dict, dict]:
    return register(base, "127.0.0.235", "Search E2E"), register(base, "127.0.0.236", "Search Other")


def test_each_type_is_found_in_the_callers_workspace_only(base: str, two) -> None:
    mine, other = two
    tag = uuid.uuid4().hex[:6]
    word = f"wombat{tag}"
    for ws in (mine, other):
        http, auth = ws["http"], ws["auth"]
        for i in range(7):
            r = http.post(f"{base}/v1/customers", headers=auth, json={"name": f"Wally {word} {i}", "email": f"w{i}-{tag}@example.com"})
            assert r.status_code == 201, r.text
        assert http.post(f"{base}/v1/segments", headers=auth, json={"name": f"{word} fans", "filters": {"country": "HR"}}).status_code == 201
        assert http.post(f"{base}/v1/campaigns", headers=auth, json={"name": f"{word} launch", "subject": "Hi", "body": "<p>Hi</p>"}).status_code == 201
        crm = f"{base}/api/brands/{ws['tenant']}/crm"
        assert http.post(f"{crm}/entities", headers=auth, json={"name": "Deals", "slug": "deals", "preset": "deals"}).status_code == 201
        entity = http.get(f"{crm}/entities/deals", headers=auth).json()
        r = http.post(f"{crm}/entities/deals/entries", headers=auth, json={
            "title": f"{word} deal", "pipeline_id": entity["pipelines"][0]["id"], "stage_id": entity["pipelines"][0]["stages"][0]["id"]})
        assert r.status_code == 201, r.text

    r = mine["http"].get(f"{base}/v1/search", headers=mine["auth"], params={"q": word})
    assert r.status_code == 200, r.text
    body = r.json()
    kinds = [hit["type"] for hit in body["data"]]
    assert kinds == ["customer"] * 5 + ["entry", "segment", "campaign"], kinds
    assert body["meta"]["counts"]["customer"] == 5
    entry = next(hit for hit in body["data"] if hit["type"] == "entry")
    assert entry["title"] == f"{word} deal" and entry["entity"]["slug"] == "deals"
    # Every customer found is this workspace's.
    for hit in body["data"]:
        if hit["type"] == "customer":
            assert mine["http"].get(f"{base}/v1/customers/{hit['id']}", headers=mine["auth"]).status_code == 200
            assert other["http"].get(f"{base}/v1/customers/{hit['id']}", headers=other["auth"]).status_code == 404

    only = mine["http"].get(f"{base}/v1/search", headers=mine["auth"], params={"q": word, "types": "segment,campaign", "limit": 1}).json()
    assert [hit["type"] for hit in only["data"]] == ["segment", "campaign"]
    # LIKE's wildcards are only themselves.
    assert mine["http"].get(f"{base}/v1/search", headers=mine["auth"], params={"q": "%_%"}).json()["data"] == []


def test_notes_are_found_with_the_record_they_are_about(base: str, two) -> None:
    mine, other = two
    word = f"quokka{uuid.uuid4().hex[:6]}"
    for ws in (mine, other):
        http, auth = ws["http"], ws["auth"]
        cid = http.post(f"{base}/v1/customers", headers=auth, json={"name": "Nora Note", "email": f"n-{uuid.uuid4().hex[:8]}@example.com"}).json()["id"]
        company = http.post(f"{base}/v1/companies", headers=auth, json={"name": "Noted Ltd"}).json()["id"]
        body = "## Call\n\n" + "Long talk about the roadmap and the budget for next year. " * 3 + f"They asked about **{word}** pricing."
        assert http.post(f"{base}/v1/notes", headers=auth, json={"subject_type": "customer", "subject_id": cid, "body": body}).status_code == 201
        assert http.post(f"{base}/v1/notes", headers=auth, json={"subject_type": "company", "subject_id": company, "body": f"{word} renewal"}).status_code == 201
        ws["ids"] = (cid, company)

    r = mine["http"].get(f"{base}/v1/search", headers=mine["auth"], params={"q": word, "types": "note"})
    assert r.status_code == 200, r.text
    hits = r.json()["data"]
    assert [(h["subject_type"], h["subject_id"]) for h in hits] == [("company", mine["ids"][1]), ("customer", mine["ids"][0])], hits
    assert hits[0]["subtitle"] == "Note on Noted Ltd" and hits[1]["subtitle"] == "Note on Nora Note"
    # The title is the text around the match, on one line, without Markdown's line markers.
    assert word in hits[1]["title"] and hits[1]["title"].startswith("…") and "##" not in hits[1]["title"], hits[1]
    assert len(hits[1]["title"]) <= 92
    # The other workspace's notes are not found.
    notes = [h["id"] for h in hits]
    theirs = other["http"].get(f"{base}/v1/search", headers=other["auth"], params={"q": word, "types": "note"}).json()["data"]
    assert len(theirs) == 2 and not set(notes) & {h["id"] for h in theirs}


@pytest.mark.parametrize("params, field", [
    ({}, "q"), ({"q": "  "}, "q"), ({"q": "x" * 101}, "q"), ({"q": "a\u0007b"}, "q"),
    ({"q": "a", "limit": "0"}, "limit"), ({"q": "a", "limit": "21"}, "limit"), ({"q": "a", "types": "customer,planet"}, "types"),
])
def test_bad_parameters_answer_422_naming_them(base: str, two, params: dict, field: str) -> None:
    mine, _ = two
    r = mine["http"].get(f"{base}/v1/search", headers=mine["auth"], params=params)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]


def test_no_credential_is_refused(base: str) -> None:
    assert new_session().get(f"{base}/v1/search", params={"q": "a"}).status_code == 401
