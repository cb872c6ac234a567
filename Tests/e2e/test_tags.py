"""Tags through nginx (issue 25 part 4): `tags` on customers, companies and entries (create,
update, normalisation and limits with 422 naming the field), `tag=` list filters, the segment
language's tag condition (live membership follows tag changes), /v1/tags with counts per kind,
renaming and deleting a tag everywhere, workspace isolation and roles."""

from __future__ import annotations

import time

import pytest

from .support import new_session
from .test_companies import call, invalid, ok, register, unique
from .test_roles import person


def workspace(stack, base: str, address: str, name: str) -> dict:
    """A new workspace from its own address (registration is rate limited per address), with an
    admin, a member and a viewer, and another workspace (`other`) for isolation checks."""
    http = new_session(address)
    w = register(http, base, name)
    w["http"], w["base"], w["stack"] = http, base, stack
    for role in ("admin", "member", "viewer"):
        w[role] = person(stack, w["tenant"], role)
    other = register(http, base, f"{name} elsewhere")
    other["http"], other["base"] = http, base
    w["other"] = other
    return w


@pytest.fixture(scope="module")
def ws(stack, base: str) -> dict:
    return workspace(stack, base, "127.0.0.171", "Tags E2E")


def customers(w: dict, query: str, who: str = "owner") -> list[dict]:
    return ok(call(w, "GET", f"/v1/customers?per_page=100&{query}", who=who))["data"]


def tag_named(w: dict, name: str) -> dict | None:
    return next((t for t in ok(call(w, "GET", "/v1/tags"))["data"] if t["name"].lower() == name.lower()), None)


def entity(w: dict) -> tuple[dict, dict]:
    """A deals entity with one pipeline of two stages."""
    crm = f"/api/brands/{w['tenant']}/crm"
    e = ok(call(w, "POST", f"{crm}/entities", {"name": unique("Deals "), "singular_name": "Deal",
                                                 "slug": unique("deals-").lower()}), 201)
    p = ok(call(w, "POST", f"{crm}/entities/{e['id']}/pipelines", {"name": "Sales"}), 201)
    for name in ("New", "Won"):
        ok(call(w, "POST", f"{crm}/pipelines/{p['id']}/stages", {"name": name}), 201)
    p = ok(call(w, "GET", f"{crm}/pipelines/{p['id']}"))
    return e, p


def test_tags_on_records_normalised_and_filtered(ws: dict) -> None:
    vip, gold = unique("VIP-"), unique("gold-")
    a = ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('a')}@tags.test", "tags": [f"  {vip} ", gold, vip.lower()]}), 201)
    assert a["tags"] == sorted([vip, gold], key=str.lower), a
    b = ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('b')}@tags.test", "tags": [vip.lower()]}), 201)
    # One tag, whatever the case it is written in: the first spelling is kept.
    assert b["tags"] == [vip]
    c = ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('c')}@tags.test"}), 201)
    assert c["tags"] == []

    assert {x["id"] for x in customers(ws, f"tag={vip}")} == {a["id"], b["id"]}
    assert {x["id"] for x in customers(ws, f"tag={vip},{gold}")} == {a["id"]}
    assert {x["id"] for x in customers(ws, f"tag={vip}&tag={gold}")} == {a["id"]}
    assert customers(ws, f"tag={unique('none-')}") == []
    assert ok(call(ws, "GET", f"/v1/customers/{a['id']}"))["tags"] == a["tags"]
    listed = customers(ws, f"tag={gold}")
    assert listed[0]["tags"] == a["tags"]

    # An update replaces the tags; the change is in the customer's history.
    updated = ok(call(ws, "PATCH", f"/v1/customers/{a['id']}", {"tags": [gold]}))
    assert updated["tags"] == [gold]
    assert {x["id"] for x in customers(ws, f"tag={vip}")} == {b["id"]}
    timeline = ok(call(ws, "GET", f"/v1/customers/{a['id']}/timeline?per_page=100"))["data"]
    changes = [t for t in timeline if t["type"] == "profile_changed" and t["data"]["field"] == "tags"]
    # One change: the tags a customer was created with are not a change of it.
    assert len(changes) == 1 and changes[0]["data"]["new"] == [gold], timeline[:3]

    # Normalisation and limits: 422 naming the field.
    invalid(call(ws, "POST", "/v1/customers", {"email": f"{unique('d')}@tags.test", "tags": ["x" * 51]}), "tags")
    invalid(call(ws, "POST", "/v1/customers", {"email": f"{unique('d')}@tags.test", "tags": ["   "]}), "tags")
    invalid(call(ws, "POST", "/v1/customers", {"email": f"{unique('d')}@tags.test", "tags": [f"t{i}" for i in range(21)]}), "tags")
    invalid(call(ws, "POST", "/v1/customers", {"email": f"{unique('d')}@tags.test", "tags": [1, 2]}), "tags")
    invalid(call(ws, "POST", "/v1/customers", {"email": f"{unique('d')}@tags.test", "tags": "a\u0007b"}), "tags")
    invalid(call(ws, "GET", f"/v1/customers?tag={'y' * 60}"), "tag")

    # Companies.
    co = ok(call(ws, "POST", "/v1/companies", {"name": unique("Acme "), "tags": [vip, "Partner"]}), 201)
    assert co["tags"] == sorted([vip, "Partner"], key=str.lower)
    ok(call(ws, "POST", "/v1/companies", {"name": unique("Other ")}), 201)
    found = ok(call(ws, "GET", f"/v1/companies?tag={vip}"))["data"]
    assert [x["id"] for x in found] == [co["id"]]
    assert ok(call(ws, "PUT", f"/v1/companies/{co['id']}", {"tags": []}))["tags"] == []
    invalid(call(ws, "PATCH", f"/v1/companies/{co['id']}", {"tags": ["z" * 51]}), "tags")

    # Entries.
    e, p = entity(ws)
    crm = f"/api/brands/{ws['tenant']}/crm"
    stage = p["stages"][0]["id"]
    one = ok(call(ws, "POST", f"{crm}/entities/{e['id']}/entries", {"title": "Big deal", "pipeline_id": p["id"],
                                                                   "stage_id": stage, "tags": [vip]}), 201)
    ok(call(ws, "POST", f"{crm}/entities/{e['id']}/entries", {"title": "Small deal", "pipeline_id": p["id"], "stage_id": stage}), 201)
    assert one["tags"] == [vip]
    listed = ok(call(ws, "GET", f"{crm}/entities/{e['id']}/entries?tag={vip}"))
    assert [x["id"] for x in listed["data"]] == [one["id"]] and listed["total"] == 1
    assert ok(call(ws, "PATCH", f"{crm}/entries/{one['id']}", {"tags": ["Hot", vip]}))["tags"] == ["Hot", vip]
    invalid(call(ws, "PATCH", f"{crm}/entries/{one['id']}", {"tags": {"a": 1}}), "tags")

    counts = tag_named(ws, vip)["counts"]
    assert counts == {"customers": 1, "companies": 0, "entries": 1}, counts


def wait_members(w: dict, segment: int, expected: set[int], timeout: float = 20) -> set[int]:
    deadline = time.monotonic() + timeout
    while True:
        got = {x["id"] for x in customers(w, f"segment_id={segment}")}
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_segment_tag_condition_follows_tag_changes(ws: dict) -> None:
    tag = unique("seg-")
    a = ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('s')}@tags.test", "tags": [tag]}), 201)
    b = ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('s')}@tags.test"}), 201)
    invalid(call(ws, "POST", "/v1/segments", {"name": unique("Bad "), "filters": {"tag": []}}), "filters.tag")
    invalid(call(ws, "POST", "/v1/segments", {"name": unique("Bad "), "filters": {"tag": ["q" * 51]}}), "filters.tag")
    segment = ok(call(ws, "POST", "/v1/segments", {"name": unique("Tagged "), "filters": {"tag": [tag.upper()]}}), 201)
    assert wait_members(ws, segment["id"], {a["id"]}) == {a["id"]}

    # Tagging b puts b in; untagging a takes a out (live re-evaluation, no rebuild).
    ok(call(ws, "PATCH", f"/v1/customers/{b['id']}", {"tags": [tag]}))
    ok(call(ws, "PATCH", f"/v1/customers/{a['id']}", {"tags": []}))
    assert wait_members(ws, segment["id"], {b["id"]}) == {b["id"]}

    # A rename takes b out of a segment that names the old tag; one naming the new name has b.
    t = tag_named(ws, tag)
    renamed = unique("renamed-")
    other = ok(call(ws, "POST", "/v1/segments", {"name": unique("Renamed "), "filters": {"any": [{"tag": renamed}]}}), 201)
    assert wait_members(ws, other["id"], set()) == set()
    ok(call(ws, "PUT", f"/v1/tags/{t['id']}", {"name": renamed}))
    assert wait_members(ws, other["id"], {b["id"]}) == {b["id"]}
    assert wait_members(ws, segment["id"], set()) == set()


def test_tags_list_rename_delete_everywhere(ws: dict) -> None:
    tag = unique("Everywhere-")
    cust = ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('r')}@tags.test", "tags": [tag, "Keep"]}), 201)
    co = ok(call(ws, "POST", "/v1/companies", {"name": unique("Co "), "tags": [tag]}), 201)
    t = tag_named(ws, tag)
    assert t["counts"] == {"customers": 1, "companies": 1, "entries": 0}
    assert tag_named(ws, tag) == ok(call(ws, "GET", f"/v1/tags/{t['id']}"))
    assert all(x["counts"]["companies"] > 0 for x in ok(call(ws, "GET", "/v1/tags?kind=company"))["data"])
    invalid(call(ws, "GET", "/v1/tags?kind=planet"), "kind")

    # Rename: every record shows the new name; a clash with another tag is a 409 naming it; case only is fine.
    new = unique("Renamed-")
    clash = call(ws, "PUT", f"/v1/tags/{t['id']}", {"name": "keep"})
    assert clash.status_code == 409 and "name" in clash.json()["errors"], clash.text
    invalid(call(ws, "PUT", f"/v1/tags/{t['id']}", {"name": " "}), "name")
    invalid(call(ws, "PUT", f"/v1/tags/{t['id']}", {"name": "n" * 51}), "name")
    assert ok(call(ws, "PUT", f"/v1/tags/{t['id']}", {"name": new}))["name"] == new
    assert ok(call(ws, "PUT", f"/v1/tags/{t['id']}", {"name": new.upper()}))["name"] == new.upper()
    assert new.upper() in ok(call(ws, "GET", f"/v1/customers/{cust['id']}"))["tags"]
    assert ok(call(ws, "GET", f"/v1/companies/{co['id']}"))["tags"] == [new.upper()]
    assert [x["id"] for x in customers(ws, f"tag={new}")] == [cust["id"]]

    # Delete: admins only; the tag leaves every record.
    assert call(ws, "DELETE", f"/v1/tags/{t['id']}", who="member").status_code == 403
    removed = ok(call(ws, "DELETE", f"/v1/tags/{t['id']}", who="admin"))
    assert removed["removed"] == {"customers": 1, "companies": 1, "entries": 0}
    assert ok(call(ws, "GET", f"/v1/customers/{cust['id']}"))["tags"] == ["Keep"]
    assert ok(call(ws, "GET", f"/v1/companies/{co['id']}"))["tags"] == []
    assert call(ws, "GET", f"/v1/tags/{t['id']}").status_code == 404
    assert customers(ws, f"tag={new}") == []


def test_roles_and_isolation(ws: dict) -> None:
    tag = unique("iso-")
    cust = ok(call(ws, "POST", "/v1/customers", {"email": f"{unique('i')}@tags.test", "tags": [tag]}), 201)
    t = tag_named(ws, tag)
    other = ws["other"]
    # Another workspace sees neither the tag nor its records.
    assert call(other, "GET", f"/v1/tags/{t['id']}").status_code == 404
    assert call(other, "PUT", f"/v1/tags/{t['id']}", {"name": "mine"}).status_code == 404
    assert call(other, "DELETE", f"/v1/tags/{t['id']}").status_code == 404
    assert all(x["name"] != tag for x in ok(call(other, "GET", "/v1/tags"))["data"])
    assert ok(call(other, "GET", f"/v1/customers?tag={tag}"))["data"] == []
    # Its own tag of the same name is another tag.
    mine = ok(call(other, "POST", "/v1/customers", {"email": f"{unique('o')}@tags.test", "tags": [tag]}), 201)
    assert [x["id"] for x in ok(call(other, "GET", f"/v1/customers?tag={tag}"))["data"]] == [mine["id"]]
    assert tag_named(ws, tag)["counts"]["customers"] == 1
    # Viewers read; members rename; viewers do not.
    assert ok(call(ws, "GET", "/v1/tags", who="viewer"))["data"]
    assert call(ws, "PUT", f"/v1/tags/{t['id']}", {"name": unique("v-")}, who="viewer").status_code == 403
    assert call(ws, "PATCH", f"/v1/customers/{cust['id']}", {"tags": []}, who="viewer").status_code == 403
    assert ok(call(ws, "PUT", f"/v1/tags/{t['id']}", {"name": unique("m-")}, who="member"))
