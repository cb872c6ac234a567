"""Saved views through nginx (issue 25 part 3): /v1/views CRUD for the customers, companies and
an entity's entries lists; filters, sort and columns checked against what each list accepts
(422 naming the field); shared views for the workspace, private ones for their creator only
(404 to another member), another workspace 404, role checks."""

from __future__ import annotations

import pytest

from .test_companies import call, invalid, ok, unique
from .test_roles import person
from .test_tags import entity, workspace


@pytest.fixture(scope="module")
def ws(stack, base: str) -> dict:
    w = workspace(stack, base, "127.0.0.173", "Views E2E")
    w["member2"] = person(stack, w["tenant"], "member")
    return w


def view(w: dict, who: str = "owner", **fields) -> dict:
    body = {"list": "customers", "name": unique("View "), "filters": {}, **fields}
    return ok(call(w, "POST", "/v1/views", body, who=who), 201)


def names(w: dict, who: str = "owner", query: str = "") -> set[str]:
    return {v["name"] for v in ok(call(w, "GET", f"/v1/views{query}", who=who))["data"]}


def test_crud_and_what_each_list_accepts(ws: dict) -> None:
    v = view(ws, filters={"country": "HR", "tag": ["vip"], "rfm_score_min": 3}, sort={"field": "name", "order": "asc"},
             columns=["name", "email", "tags"], shared=True)
    assert (v["list"], v["filters"], v["sort"], v["columns"], v["shared"]) == (
        "customers", {"country": "HR", "tag": ["vip"], "rfm_score_min": 3}, {"field": "name", "order": "asc"}, ["name", "email", "tags"], True)
    assert ok(call(ws, "GET", f"/v1/views/{v['id']}")) == v
    renamed = ok(call(ws, "PATCH", f"/v1/views/{v['id']}", {"name": "Croatian VIPs"}))
    assert renamed["name"] == "Croatian VIPs" and renamed["filters"] == v["filters"]
    changed = ok(call(ws, "PUT", f"/v1/views/{v['id']}", {"filters": {"city": "Zagreb"}, "sort": None, "columns": None}))
    assert (changed["filters"], changed["sort"], changed["columns"]) == ({"city": "Zagreb"}, None, None)
    assert "Croatian VIPs" in names(ws, query="?list=customers")
    assert "Croatian VIPs" not in names(ws, query="?list=companies")

    # What the list would refuse, the view refuses, naming the field.
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": "x", "filters": {"colour": "red"}}), "filters.colour")
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": "x", "filters": {"rfm_score_min": "lots"}}), "filters.rfm_score_min")
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": "x", "filters": {"owner_id": "someone"}}), "filters.owner_id")
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": "x", "filters": {"tag": "t" * 60}}), "filters.tag")
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": "x", "sort": {"field": "shoe_size"}}), "sort")
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": "x", "sort": {"field": "name", "order": "up"}}), "sort.order")
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": "x", "columns": ["name", "password"]}), "columns")
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": "x", "filters": []}), "filters")
    invalid(call(ws, "POST", "/v1/views", {"list": "customers", "name": ""}), "name")
    invalid(call(ws, "POST", "/v1/views", {"list": "planets", "name": "x"}), "list")
    invalid(call(ws, "POST", "/v1/views", {"list": "entries:999999", "name": "x"}), "list")
    invalid(call(ws, "PATCH", f"/v1/views/{v['id']}", {"list": "companies"}), "list")

    # Companies and an entity's entries, with their own filters, sorts and columns.
    co = view(ws, list="companies", filters={"size": "11-50", "industry": "Retail"}, sort={"field": "revenue_total", "order": "desc"},
              columns=["name", "domain", "revenue_total"])
    assert co["list"] == "companies"
    invalid(call(ws, "POST", "/v1/views", {"list": "companies", "name": "x", "filters": {"size": "huge"}}), "filters.size")
    invalid(call(ws, "POST", "/v1/views", {"list": "companies", "name": "x", "filters": {"city": "Split"}}), "filters.city")
    e, p = entity(ws)
    ok(call(ws, "POST", f"/api/brands/{ws['tenant']}/crm/entities/{e['id']}/fields", {"key": "amount", "name": "Amount", "type": "number"}), 201)
    ev = view(ws, list=f"entries:{e['id']}", filters={"pipeline_id": p["id"], "values[amount][min]": "100"},
              sort={"field": "amount", "order": "desc"}, columns=["title", "stage_id", "values.amount", "tags"])
    assert ev["list"] == f"entries:{e['id']}"
    invalid(call(ws, "POST", "/v1/views", {"list": f"entries:{e['id']}", "name": "x", "filters": {"values[colour]": "red"}}), "filters.values.colour")
    invalid(call(ws, "POST", "/v1/views", {"list": f"entries:{e['id']}", "name": "x", "sort": {"field": "colour"}}), "sort")
    invalid(call(ws, "POST", "/v1/views", {"list": f"entries:{e['id']}", "name": "x", "columns": ["values.colour"]}), "columns")

    ok(call(ws, "DELETE", f"/v1/views/{co['id']}"))
    assert call(ws, "GET", f"/v1/views/{co['id']}").status_code == 404


def test_private_views_are_their_creators(ws: dict) -> None:
    private = view(ws, who="member", shared=False)
    shared = view(ws, who="member", shared=True)
    assert {private["name"], shared["name"]} <= names(ws, who="member")
    # Another member sees the shared one only; the private one does not exist for them.
    assert shared["name"] in names(ws, who="member2") and private["name"] not in names(ws, who="member2")
    for method, body in (("GET", None), ("PATCH", {"name": "mine"}), ("DELETE", None)):
        assert call(ws, method, f"/v1/views/{private['id']}", body, who="member2").status_code == 404
    # Not even an admin sees another's private view.
    assert call(ws, "GET", f"/v1/views/{private['id']}", who="admin").status_code == 404
    # A shared view is changed by its creator or an admin, not by another member.
    assert call(ws, "PATCH", f"/v1/views/{shared['id']}", {"name": "taken"}, who="member2").status_code == 403
    assert ok(call(ws, "PATCH", f"/v1/views/{shared['id']}", {"name": unique("Admin ")}, who="admin"))
    # Viewers read shared views and save none.
    assert shared["id"] in {v["id"] for v in ok(call(ws, "GET", "/v1/views", who="viewer"))["data"]}
    assert call(ws, "POST", "/v1/views", {"list": "customers", "name": "v"}, who="viewer").status_code == 403
    ok(call(ws, "DELETE", f"/v1/views/{private['id']}", who="member"))


def test_another_workspace_gets_404(ws: dict) -> None:
    shared = view(ws, shared=True)
    other = ws["other"]
    assert call(other, "GET", f"/v1/views/{shared['id']}").status_code == 404
    assert call(other, "PUT", f"/v1/views/{shared['id']}", {"name": "x"}).status_code == 404
    assert call(other, "DELETE", f"/v1/views/{shared['id']}").status_code == 404
    assert shared["name"] not in names(other)
    e, _ = entity(ws)
    invalid(call(other, "POST", "/v1/views", {"list": f"entries:{e['id']}", "name": "x"}), "list")
