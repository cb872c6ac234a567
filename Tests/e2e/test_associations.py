"""Associations of CRM entries with customers (issue 24 part 2) through nginx: PUT …/associations
replaces them, entries carry customer_ids, GET /v1/customers/{id}/entries lists them with
their pipeline and stage, another workspace's ids answer 422 naming them, the customer's
timeline shows the linked entries' stage moves, and erasure removes the links."""

from __future__ import annotations

import uuid

import pytest

from .support import new_session
from .test_customers import post_with_patience


def register(base: str, address: str) -> dict:
    http = new_session(address)
    r = post_with_patience(http, f"{base}/v1/auth/register", {
        "name": "Lena Link", "email": f"links-{uuid.uuid4().hex[:10]}@company.com", "password": "secret123",
        "workspace_name": "Links E2E",
    })
    assert r.status_code == 201, r.text
    body = r.json()
    ws = {"http": http, "auth": {"Authorization": f"Bearer {body['token']}"}, "tenant": body["tenant"]["id"]}
    ws["crm"] = f"{base}/api/brands/{ws['tenant']}/crm"
    assert http.post(f"{ws['crm']}/entities", headers=ws["auth"], json={"name": "Deals", "slug": "deals", "preset": "deals"}).status_code == 201
    ws["pipeline"] = http.get(f"{ws['crm']}/entities/deals", headers=ws["auth"]).json()["pipelines"][0]
    return ws


@pytest.fixture(scope="module")
def two(base: str) -> tuple[dict, dict]:
    return register(base, "127.0.0.237"), register(base, "127.0.0.238")


def customer(base: str, ws: dict, name: str) -> int:
    r = ws["http"].post(f"{base}/v1/customers", headers=ws["auth"], json={"name": name, "email": f"{uuid.uuid4().hex[:8]}@example.com"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def deal(ws: dict, title: str) -> dict:
    r = ws["http"].post(f"{ws['crm']}/entities/deals/entries", headers=ws["auth"], json={
        "title": title, "pipeline_id": ws["pipeline"]["id"], "stage_id": ws["pipeline"]["stages"][0]["id"]})
    assert r.status_code == 201, r.text
    return r.json()


def test_links_replace_list_and_show_on_the_timeline(base: str, two) -> None:
    mine, _ = two
    http, auth = mine["http"], mine["auth"]
    ana, ben = customer(base, mine, "Ana Link"), customer(base, mine, "Ben Link")
    first, second = deal(mine, "Acme renewal"), deal(mine, "Globex pilot")
    assert first["customer_ids"] == [] and first["company_ids"] == []

    r = http.put(f"{mine['crm']}/entries/{first['id']}/associations", headers=auth, json={"customer_ids": [ben, ana, ana]})
    assert r.status_code == 200, r.text
    assert r.json()["customer_ids"] == sorted([ana, ben])
    assert http.get(f"{mine['crm']}/entries/{first['id']}", headers=auth).json()["customer_ids"] == sorted([ana, ben])
    # On the nested path too; a list of the entity carries the links.
    r = http.put(f"{mine['crm']}/entities/deals/entries/{second['id']}/associations", headers=auth, json={"customer_ids": [ana]})
    assert r.status_code == 200, r.text
    listed = {e["id"]: e["customer_ids"] for e in http.get(f"{mine['crm']}/entities/deals/entries", headers=auth).json()["data"]}
    assert listed[first["id"]] == sorted([ana, ben]) and listed[second["id"]] == [ana]

    entries = http.get(f"{base}/v1/customers/{ana}/entries", headers=auth).json()
    assert entries["meta"]["total"] == 2
    assert [e["id"] for e in entries["data"]] == [second["id"], first["id"]]
    assert entries["data"][0]["stage"]["name"] == mine["pipeline"]["stages"][0]["name"]
    assert entries["data"][0]["pipeline"]["id"] == mine["pipeline"]["id"] and entries["data"][0]["entity"]["slug"] == "deals"

    # A stage move of a linked entry is on the customer's timeline.
    moved = http.put(f"{mine['crm']}/entries/{first['id']}/stage", headers=auth, json={"stage_id": mine["pipeline"]["stages"][1]["id"]})
    assert moved.status_code == 200
    items = http.get(f"{base}/v1/customers/{ben}/timeline?type=stage_moved", headers=auth).json()["data"]
    assert [(i["data"]["entry_title"], i["data"]["to_stage_name"]) for i in items][0] == ("Acme renewal", mine["pipeline"]["stages"][1]["name"])

    # Replacing with an empty list unlinks.
    r = http.put(f"{mine['crm']}/entries/{first['id']}/associations", headers=auth, json={"customer_ids": []})
    assert r.json()["customer_ids"] == []
    assert http.get(f"{base}/v1/customers/{ben}/entries", headers=auth).json()["meta"]["total"] == 0


def test_another_workspaces_ids_are_refused_naming_them(base: str, two) -> None:
    mine, other = two
    entry = deal(mine, "Initech")
    theirs = customer(base, other, "Not Mine")
    r = mine["http"].put(f"{mine['crm']}/entries/{entry['id']}/associations", headers=mine["auth"], json={"customer_ids": [theirs]})
    assert r.status_code == 422, r.text
    assert str(theirs) in " ".join(r.json()["errors"]["customer_ids"])
    for body, field in (({"customer_ids": "1"}, "customer_ids"), ({"customer_ids": [0]}, "customer_ids.0"),
                        ({"customer_ids": list(range(1, 102))}, "customer_ids")):
        r = mine["http"].put(f"{mine['crm']}/entries/{entry['id']}/associations", headers=mine["auth"], json=body)
        assert r.status_code == 422 and field in r.json()["errors"], r.text
    # Their entry and their customer's entries are not found from here.
    their_entry = deal(other, "Theirs")
    assert mine["http"].put(f"{mine['crm']}/entries/{their_entry['id']}/associations", headers=mine["auth"], json={"customer_ids": []}).status_code == 404
    assert mine["http"].get(f"{base}/v1/customers/{theirs}/entries", headers=mine["auth"]).status_code == 404


def test_erasure_removes_the_links(base: str, two) -> None:
    mine, _ = two
    http, auth = mine["http"], mine["auth"]
    gone = customer(base, mine, "Gone Soon")
    entry = deal(mine, "Umbrella")
    http.put(f"{mine['crm']}/entries/{entry['id']}/associations", headers=auth, json={"customer_ids": [gone]})
    assert http.delete(f"{base}/v1/customers/{gone}", headers=auth).status_code == 200
    assert http.get(f"{mine['crm']}/entries/{entry['id']}", headers=auth).json()["customer_ids"] == []


def test_companies_link_to_entries_and_have_a_timeline(base: str, two) -> None:
    mine, other = two
    http, auth = mine["http"], mine["auth"]
    company = http.post(f"{base}/v1/companies", headers=auth, json={"name": "Acme d.o.o.", "domain": f"acme-{uuid.uuid4().hex[:6]}.hr"})
    assert company.status_code == 201, company.text
    cid = company.json()["id"]
    theirs = other["http"].post(f"{base}/v1/companies", headers=other["auth"], json={"name": "Theirs Ltd"}).json()["id"]
    entry = deal(mine, "Acme expansion")

    r = http.put(f"{mine['crm']}/entries/{entry['id']}/associations", headers=auth, json={"company_ids": [theirs]})
    assert r.status_code == 422 and str(theirs) in " ".join(r.json()["errors"]["company_ids"]), r.text
    r = http.put(f"{mine['crm']}/entries/{entry['id']}/associations", headers=auth, json={"company_ids": [cid]})
    assert r.status_code == 200 and r.json()["company_ids"] == [cid], r.text
    listed = http.get(f"{base}/v1/companies/{cid}/entries", headers=auth).json()
    assert [e["id"] for e in listed["data"]] == [entry["id"]]
    assert other["http"].get(f"{base}/v1/companies/{cid}/entries", headers=other["auth"]).status_code == 404

    assert http.post(f"{base}/v1/notes", headers=auth, json={"subject_type": "company", "subject_id": cid, "body": "Key account."}).status_code == 201
    http.put(f"{mine['crm']}/entries/{entry['id']}/stage", headers=auth, json={"stage_id": mine["pipeline"]["stages"][1]["id"]})
    items = http.get(f"{base}/v1/companies/{cid}/timeline", headers=auth).json()["data"]
    assert [i["type"] for i in items][:2] == ["stage_moved", "note"], items
    assert items[0]["data"]["entry_title"] == "Acme expansion"
    assert other["http"].get(f"{base}/v1/companies/{cid}/timeline", headers=other["auth"]).status_code == 404

    # Deleting the company takes its notes and links.
    assert http.delete(f"{base}/v1/companies/{cid}", headers=auth).status_code == 200
    assert http.get(f"{mine['crm']}/entries/{entry['id']}", headers=auth).json()["company_ids"] == []


def test_company_open_entries_value_follows_its_linked_open_deals(base: str, two) -> None:
    """open_entries_value: the amount of the linked deals in an active stage, kept by every write
    that changes it (links, values, stage moves, a stage's status, deletion)."""
    mine, _ = two
    http, auth, crm = mine["http"], mine["auth"], mine["crm"]
    stages = {s["status"]: s["id"] for s in reversed(mine["pipeline"]["stages"])}
    cid = http.post(f"{base}/v1/companies", headers=auth, json={"name": "Open Value Ltd"}).json()["id"]
    other = http.post(f"{base}/v1/companies", headers=auth, json={"name": "Smaller Ltd"}).json()["id"]

    def value(company: int = cid) -> float:
        return http.get(f"{base}/v1/companies/{company}", headers=auth).json()["open_entries_value"]

    def new_deal(title: str, amount: str) -> str:
        r = http.post(f"{crm}/entities/deals/entries", headers=auth, json={
            "title": title, "pipeline_id": mine["pipeline"]["id"], "stage_id": stages["active"], "values": {"amount": amount}})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    big, small = new_deal("Big", "1000"), new_deal("Small", "250.50")
    assert value() == 0.00
    for entry in (big, small):
        assert http.put(f"{crm}/entries/{entry}/associations", headers=auth, json={"company_ids": [cid]}).status_code == 200
    assert value() == 1250.50
    assert http.put(f"{crm}/entries/{small}/associations", headers=auth, json={"company_ids": [other]}).status_code == 200
    assert (value(), value(other)) == (1000.00, 250.50)
    assert http.put(f"{crm}/entries/{small}/associations", headers=auth, json={"company_ids": [cid]}).status_code == 200
    assert value(other) == 0.00

    assert http.put(f"{crm}/entries/{big}", headers=auth, json={"values": {"amount": "2000"}}).status_code == 200
    assert value() == 2250.50
    assert http.put(f"{crm}/entries/{small}/stage", headers=auth, json={"stage_id": stages["won"]}).status_code == 200
    assert value() == 2000.00
    # Sorted on the list by it.
    listed = http.get(f"{base}/v1/companies?sort=open_entries_value&order=desc&per_page=100", headers=auth).json()["data"]
    assert listed[0]["id"] == cid
    # A stage that stops being active takes its deals out; back, they count again.
    stage = f"{crm}/stages/{stages['active']}"
    assert http.put(stage, headers=auth, json={"status": "lost"}).status_code == 200
    assert value() == 0.00
    assert http.put(stage, headers=auth, json={"status": "active"}).status_code == 200
    assert value() == 2000.00
    assert http.delete(f"{crm}/entries/{big}", headers=auth).status_code == 200
    assert value() == 0.00
