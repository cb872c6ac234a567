"""Companies and owners through nginx (issue 24, parts 1 and 3): CRUD at /v1/companies with the
customer list's conventions, domain normalisation and uniqueness, filters and pages,
customers' company_id, owner_id on customers, companies and entries (a member of the
workspace; `me`), company totals kept exact by every write that changes them, the
link-by-email-domain setting (free mail never links), workspace isolation and roles."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest
import requests

from .support import new_session
from .test_roles import person


def register(http: requests.Session, base: str, workspace: str) -> dict:
    """A new workspace (its owner's token and ids); waits out the registration rate limit."""
    for _ in range(8):
        r = http.post(f"{base}/v1/auth/register", json={
            "name": "Olga Owner", "email": f"owner-{uuid.uuid4().hex[:10]}@companies.test",
            "password": "secret123", "workspace_name": workspace,
        }, timeout=30)
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    assert r.status_code == 201, r.text
    body = r.json()
    return {"tenant": body["tenant"]["id"], "user": body["user"]["id"],
            "auth": {"Authorization": f"Bearer {body['token']}"}}


@pytest.fixture(scope="module")
def ws(stack, base: str) -> dict:
    http = new_session("127.0.0.124")
    w = register(http, base, "Companies E2E")
    w["http"], w["base"] = http, base
    key = http.post(f"{base}/v1/api-keys", json={"name": "server"}, headers=w["auth"], timeout=30)
    assert key.status_code == 201, key.text
    w["key"] = {"X-API-Key": key.json()["key"]}
    for role in ("admin", "member", "viewer"):
        w[role] = person(stack, w["tenant"], role)
    other = register(http, base, "Companies E2E elsewhere")
    other["member"] = person(stack, other["tenant"], "member")
    w["other"] = other
    return w


def call(w: dict, method: str, path: str, body=None, who: str = "owner", headers: dict | None = None) -> requests.Response:
    auth = headers if headers is not None else (w["auth"] if who == "owner" else w[who]["auth"])
    return w["http"].request(method, f"{w['base']}{path}", json=body, headers=auth, timeout=30)


def ok(r: requests.Response, status: int = 200) -> dict:
    assert r.status_code == status, f"{r.status_code} {r.text[:400]}"
    return r.json(parse_float=Decimal)


def invalid(r: requests.Response, field: str) -> None:
    assert r.status_code == 422, f"{r.status_code} {r.text[:400]}"
    assert field in r.json()["errors"], r.text


def company(w: dict, name: str, **fields) -> dict:
    return ok(call(w, "POST", "/v1/companies", {"name": name, **fields}), 201)


def customer(w: dict, email: str, **fields) -> dict:
    return ok(call(w, "POST", "/v1/customers", {"email": email, **fields}), 201)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def letters(prefix: str) -> str:
    """A tag of letters only: one search word (digits would split it into several)."""
    return prefix + "".join(chr(ord("a") + int(d, 16) % 26) for d in uuid.uuid4().hex[:10])


def assert_exact(w: dict, company_id: int) -> dict:
    """The company's totals are its customers' count and the sum of their clv_total, to the cent."""
    got = ok(call(w, "GET", f"/v1/companies/{company_id}"))
    linked = ok(call(w, "GET", f"/v1/customers?company_id={company_id}&per_page=100"))
    assert got["customers_count"] == linked["meta"]["total"] == len(linked["data"])
    assert got["revenue_total"] == sum((Decimal(str(c["clv_total"])) for c in linked["data"]), Decimal("0"))
    assert got["open_entries_value"] == 0
    return got


def test_create_read_update_delete(ws) -> None:
    w = ws
    created = company(w, "Acme Holdings", domain="https://www.Acme-Holdings.com/about?ref=x", industry="Software",
                      size="51-200", country="hr", city="Zagreb", properties={"tier": "gold", "seats": 12})
    assert list(created) == ["id", "name", "domain", "industry", "size", "country", "city", "owner_id", "properties",
                             "customers_count", "revenue_total", "open_entries_value", "created_at", "updated_at", "tags"]
    assert created["domain"] == "acme-holdings.com" and created["country"] == "HR"
    assert created["customers_count"] == 0 and created["revenue_total"] == 0 and created["owner_id"] is None
    assert created["created_at"].endswith("Z")
    cid = created["id"]
    assert ok(call(w, "GET", f"/v1/companies/{cid}")) == created

    updated = ok(call(w, "PUT", f"/v1/companies/{cid}", {"city": "Split", "properties": {"seats": None, "plan": "pro"}}))
    assert updated["city"] == "Split" and updated["name"] == "Acme Holdings"
    assert updated["properties"] == {"tier": "gold", "plan": "pro"}
    patched = ok(call(w, "PATCH", f"/v1/companies/{cid}", {"industry": None, "size": ""}))
    assert patched["industry"] is None and patched["size"] is None and patched["city"] == "Split"

    invalid(call(w, "POST", "/v1/companies", {"domain": "nameless.com"}), "name")
    invalid(call(w, "PUT", f"/v1/companies/{cid}", {"name": None}), "name")
    invalid(call(w, "PUT", f"/v1/companies/{cid}", {"name": "Tab\there"}), "name")
    invalid(call(w, "POST", "/v1/companies", {"name": "X", "size": "huge"}), "size")
    invalid(call(w, "POST", "/v1/companies", {"name": "X", "properties": {"big": "x" * 9000}}), "properties.big")
    invalid(call(w, "POST", "/v1/companies", {"name": "X", "properties": [1]}), "properties")

    gone = ok(call(w, "DELETE", f"/v1/companies/{cid}"))
    assert gone["customers_unlinked"] == 0
    assert call(w, "GET", f"/v1/companies/{cid}").status_code == 404
    assert call(w, "DELETE", f"/v1/companies/{cid}").status_code == 404


def test_domains_are_normalised_and_unique_per_workspace(ws) -> None:
    w = ws
    word = unique("norm")
    for raw, stored in [(f"HTTP://WWW.{word}.COM/", f"{word}.com"), (f"{word}.co.uk.", f"{word}.co.uk"),
                        (f"https://shop.{word}.io:8443/cart#x", f"shop.{word}.io"), (f"sales@{word}.net", f"{word}.net")]:
        assert company(w, f"Norm {raw}", domain=raw)["domain"] == stored
    for bad in ["not a domain", "localhost", "http://", "a..b.com", "-x.com", "10.0.0.1", "x" * 200 + ".com"]:
        invalid(call(w, "POST", "/v1/companies", {"name": "Bad", "domain": bad}), "domain")

    first = company(w, "Unique One", domain=f"{word}-unique.com")
    again = call(w, "POST", "/v1/companies", {"name": "Unique Two", "domain": f"https://www.{word.upper()}-UNIQUE.com"})
    invalid(again, "domain")
    second = company(w, "Unique Two", domain=f"{word}-other.com")
    invalid(call(w, "PUT", f"/v1/companies/{second['id']}", {"domain": f"{word}-unique.com"}), "domain")
    # Another workspace may have the same domain.
    assert ok(call(w, "POST", "/v1/companies", {"name": "Elsewhere", "domain": f"{word}-unique.com"}, headers=w["other"]["auth"]), 201)
    # A company without a domain: as many as wanted.
    company(w, "No Domain A")
    company(w, "No Domain B", domain="")
    assert ok(call(w, "GET", f"/v1/companies?domain=WWW.{word}-unique.com"))["data"][0]["id"] == first["id"]


def test_filters_search_sort_and_pages(ws) -> None:
    w = ws
    tag = letters("flt")
    made = [
        company(w, f"{tag} Zeta Logistics", domain=f"zeta-{tag}.com", industry=f"Logistics {tag}", country="DE", owner_id=w["member"]["id"]),
        company(w, f"{tag} Alpha Foods", domain=f"alpha-{tag}.hr", industry=f"Food {tag}", country="HR"),
        company(w, f"{tag} Beta Foods", domain=f"beta-{tag}.hr", industry=f"Food {tag}", country="HR", owner_id=w["user"]),
        company(w, f"{tag} Gamma Labs", domain=f"gamma-{tag}.si", industry=f"Science {tag}", country="SI"),
        company(w, f"{tag} Kovačević Consulting", domain=f"kovacevic-{tag}.hr", industry=f"Consulting {tag}", country="HR"),
    ]

    def names(query: str) -> list[str]:
        return [c["name"].removeprefix(f"{tag} ") for c in ok(call(w, "GET", f"/v1/companies?{query}"))["data"]]

    assert names(f"q={tag}&sort=name&order=asc") == ["Alpha Foods", "Beta Foods", "Gamma Labs", "Kovačević Consulting", "Zeta Logistics"]
    assert names(f"q={tag} foo&sort=name&order=desc") == ["Beta Foods", "Alpha Foods"]
    assert names(f"q=kovacevic {tag}") == ["Kovačević Consulting"], "accents fold"
    assert names(f"q=gamma-{tag}.si") == ["Gamma Labs"], "the domain's words"
    assert names(f"industry=Food {tag}&sort=name&order=asc") == ["Alpha Foods", "Beta Foods"]
    assert names(f"country=hr&q={tag}&sort=name&order=asc") == ["Alpha Foods", "Beta Foods", "Kovačević Consulting"]
    assert names(f"domain=https://zeta-{tag}.com/x") == ["Zeta Logistics"]
    assert names(f"owner_id={w['member']['id']}&q={tag}") == ["Zeta Logistics"]
    assert names(f"owner_id=me&q={tag}") == ["Beta Foods"]
    assert names(f"owner_id=none&q={tag}&sort=name&order=asc") == ["Alpha Foods", "Gamma Labs", "Kovačević Consulting"]

    page1 = ok(call(w, "GET", f"/v1/companies?q={tag}&sort=name&order=asc&per_page=2"))
    assert page1["meta"] == {"current_page": 1, "per_page": 2, "total": 5, "last_page": 3}
    page3 = ok(call(w, "GET", f"/v1/companies?q={tag}&sort=name&order=asc&per_page=2&page=3"))
    assert [c["id"] for c in page3["data"]] == [made[0]["id"]]
    newest = ok(call(w, "GET", f"/v1/companies?q={tag}"))["data"]
    assert [c["id"] for c in newest] == [c["id"] for c in reversed(made)], "created_at, newest first, by default"

    for query, field in [("sort=password", "sort"), ("order=up", "order"), ("per_page=0", "per_page"), ("page=x", "page"),
                         ("domain=not a domain", "domain"), ("owner_id=abc", "owner_id"), ("size=huge", "size")]:
        invalid(call(w, "GET", f"/v1/companies?{query}"), field)
    # `me` names the signed-in member; an API key is none.
    invalid(call(w, "GET", "/v1/companies?owner_id=me", headers=w["key"]), "owner_id")
    invalid(call(w, "GET", "/v1/customers?owner_id=me", headers=w["key"]), "owner_id")
    assert ok(call(w, "GET", f"/v1/companies?owner_id={w['member']['id']}&q={tag}", headers=w["key"]))["meta"]["total"] == 1


def test_customers_company_id(ws) -> None:
    w = ws
    acme = company(w, "Linkable", domain=unique("linkable") + ".com")
    theirs = ok(call(w, "POST", "/v1/companies", {"name": "Theirs"}, headers=w["other"]["auth"]), 201)
    c = customer(w, unique("ana") + "@example.com", name="Ana", company_id=acme["id"])
    assert c["company_id"] == acme["id"] and c["owner_id"] is None
    assert list(c)[:7] == ["id", "name", "email", "phone", "city", "country", "created_at"]
    profile = ok(call(w, "GET", f"/v1/customers/{c['id']}"))
    assert profile["company_id"] == acme["id"]
    listed = ok(call(w, "GET", f"/v1/customers?company_id={acme['id']}"))
    assert [x["id"] for x in listed["data"]] == [c["id"]] and listed["data"][0]["company_id"] == acme["id"]

    invalid(call(w, "POST", "/v1/customers", {"email": unique("x") + "@example.com", "company_id": theirs["id"]}), "company_id")
    invalid(call(w, "PUT", f"/v1/customers/{c['id']}", {"company_id": theirs["id"]}), "company_id")
    invalid(call(w, "PUT", f"/v1/customers/{c['id']}", {"company_id": 999999999}), "company_id")
    invalid(call(w, "PUT", f"/v1/customers/{c['id']}", {"company_id": "acme"}), "company_id")
    invalid(call(w, "GET", "/v1/customers?company_id=abc"), "company_id")
    assert ok(call(w, "GET", f"/v1/customers/{c['id']}"))["company_id"] == acme["id"], "a refused change changes nothing"

    unlinked = ok(call(w, "PUT", f"/v1/customers/{c['id']}", {"company_id": None}))
    assert unlinked["company_id"] is None
    assert ok(call(w, "GET", f"/v1/customers?company_id={acme['id']}"))["meta"]["total"] == 0
    assert c["id"] in [x["id"] for x in ok(call(w, "GET", "/v1/customers?company_id=none&per_page=100&sort=created_at"))["data"]]
    # Another workspace sees neither the company nor its customers.
    assert ok(call(w, "GET", f"/v1/customers?company_id={acme['id']}", headers=w["other"]["auth"]))["meta"]["total"] == 0


def test_owner_id_on_customers_companies_and_entries(ws) -> None:
    w = ws
    member, stranger = w["member"]["id"], w["other"]["member"]["id"]
    c = customer(w, unique("own") + "@example.com", owner_id=member)
    assert c["owner_id"] == member
    invalid(call(w, "POST", "/v1/customers", {"email": unique("x") + "@example.com", "owner_id": stranger}), "owner_id")
    invalid(call(w, "PUT", f"/v1/customers/{c['id']}", {"owner_id": stranger}), "owner_id")
    invalid(call(w, "PUT", f"/v1/customers/{c['id']}", {"owner_id": 0}), "owner_id")
    co = company(w, "Owned", owner_id=member)
    assert co["owner_id"] == member
    invalid(call(w, "POST", "/v1/companies", {"name": "Stranger's", "owner_id": stranger}), "owner_id")
    invalid(call(w, "PUT", f"/v1/companies/{co['id']}", {"owner_id": stranger}), "owner_id")
    assert ok(call(w, "PUT", f"/v1/companies/{co['id']}", {"owner_id": None}))["owner_id"] is None

    # owner_id=me: the member's own customers, signed in as them.
    mine = ok(call(w, "GET", "/v1/customers?owner_id=me&per_page=100", who="member"))["data"]
    assert c["id"] in [x["id"] for x in mine] and all(x["owner_id"] == member for x in mine)
    assert ok(call(w, "GET", f"/v1/customers?owner_id={member}", headers=w["key"]))["meta"]["total"] >= 1
    assert ok(call(w, "PUT", f"/v1/customers/{c['id']}", {"owner_id": None}))["owner_id"] is None

    # Entries: owner_id is the contract's assigned_to_user_id, by the name customers use.
    crm = f"/api/brands/{w['tenant']}/crm"
    entity = ok(call(w, "POST", f"{crm}/entities", {"name": "Deals", "slug": "deals", "preset": "deals"}), 201)
    detail = ok(call(w, "GET", f"{crm}/entities/{entity['id']}"))
    pipeline = detail["pipelines"][0]
    base_entry = {"pipeline_id": pipeline["id"], "stage_id": pipeline["stages"][0]["id"]}
    entry = ok(call(w, "POST", f"{crm}/entities/{entity['id']}/entries", {"title": "Big deal", "owner_id": member, **base_entry}), 201)
    assert entry["owner_id"] == entry["assigned_to_user_id"] == member
    assert list(entry)[:10] == ["id", "title", "pipeline_id", "stage_id", "crm_entity_id", "brand_id",
                                "reference_type", "reference_id", "assigned_to_user_id", "assigned_to_team_id"]
    other = ok(call(w, "POST", f"{crm}/entities/{entity['id']}/entries", {"title": "Small deal", "assigned_to_user_id": w["user"], **base_entry}), 201)
    assert other["owner_id"] == w["user"]
    invalid(call(w, "POST", f"{crm}/entities/{entity['id']}/entries", {"title": "X", "owner_id": stranger, **base_entry}), "owner_id")
    invalid(call(w, "PUT", f"{crm}/entries/{entry['id']}", {"owner_id": stranger}), "owner_id")
    invalid(call(w, "PUT", f"{crm}/entries/{entry['id']}", {"owner_id": member, "assigned_to_user_id": w["user"]}), "owner_id")
    titles = lambda q, **kw: [e["title"] for e in ok(call(w, "GET", f"{crm}/entities/{entity['id']}/entries?{q}", **kw))["data"]]
    assert titles("owner_id=me", who="member") == ["Big deal"]
    assert titles("owner_id=me") == ["Small deal"]
    assert titles(f"owner_id={member}", headers=w["key"]) == ["Big deal"]
    invalid(call(w, "GET", f"{crm}/entities/{entity['id']}/entries?owner_id=me", headers=w["key"]), "owner_id")
    moved = ok(call(w, "PUT", f"{crm}/entries/{entry['id']}", {"owner_id": None}))
    assert moved["owner_id"] is None and moved["assigned_to_user_id"] is None


def test_company_totals_stay_exact(ws) -> None:
    w = ws
    a = company(w, "Totals A")
    b = company(w, "Totals B")
    tag = unique("tot")
    c1 = customer(w, f"{tag}-1@example.com", company_id=a["id"])
    c2 = customer(w, f"{tag}-2@example.com", company_id=a["id"])
    c3 = customer(w, f"{tag}-3@example.com", company_id=b["id"])
    assert assert_exact(w, a["id"])["customers_count"] == 2

    def purchase(email: str, amount, **extra) -> None:
        r = call(w, "POST", "/v1/track/event", {"customer_email": email, "event": "purchase",
                                                "properties": {"amount": amount, "currency": "EUR"}, **extra}, headers=w["key"])
        assert r.status_code == 200, r.text

    # One event at a time (track_one_event), a batch, and anonymous history joined by identify.
    purchase(f"{tag}-1@example.com", 19.99)
    purchase(f"{tag}-1@example.com", "0.255")
    purchase(f"{tag}-3@example.com", 100)
    batch = call(w, "POST", "/v1/track/batch", {"events": [
        {"customer_email": f"{tag}-2@example.com", "event": "purchase", "properties": {"amount": 5.01}},
        {"customer_id": c1["id"], "event": "purchase", "properties": {"amount": "0.1"}},
        {"customer_email": f"{tag}-3@example.com", "type": "pageview", "url": "https://shop.example/"},
        {"customer_email": f"{tag}-2@example.com", "event": "purchase", "properties": {"amount": 0.2}},
    ]}, headers=w["key"])
    assert batch.status_code == 200 and batch.json()["recorded"] == 4, batch.text
    anon = unique("anon-")
    for amount in (7.77, 2.23):
        r = call(w, "POST", "/v1/track/event", {"anonymous_id": anon, "event": "purchase", "properties": {"amount": amount}}, headers=w["key"])
        assert r.status_code == 200, r.text
    merged = call(w, "POST", "/v1/track/identify", {"anonymous_id": anon, "email": f"{tag}-2@example.com"}, headers=w["key"])
    assert merged.status_code == 200 and merged.json()["merged_events"] == 2, merged.text

    got_a, got_b = assert_exact(w, a["id"]), assert_exact(w, b["id"])
    assert got_a["revenue_total"] == Decimal("19.99") + Decimal("0.26") + Decimal("0.10") + Decimal("5.01") + Decimal("0.20") + Decimal("10.00")
    assert got_b["revenue_total"] == Decimal("100.00") and got_b["customers_count"] == 1

    # A customer moves to another company: their count and whole value move.
    ok(call(w, "PUT", f"/v1/customers/{c1['id']}", {"company_id": b["id"]}))
    assert assert_exact(w, a["id"])["revenue_total"] == Decimal("15.21")
    assert assert_exact(w, b["id"])["customers_count"] == 2
    # Erased: out of the company.
    ok(call(w, "DELETE", f"/v1/customers/{c2['id']}"))
    assert assert_exact(w, a["id"])["customers_count"] == 0
    # Unlinked, then linked again.
    ok(call(w, "PUT", f"/v1/customers/{c3['id']}", {"company_id": None}))
    assert assert_exact(w, b["id"])["revenue_total"] == Decimal("20.35")
    ok(call(w, "PUT", f"/v1/customers/{c3['id']}", {"company_id": a["id"], "name": "Cy"}))
    assert assert_exact(w, a["id"])["revenue_total"] == Decimal("100.00")
    # The same company again changes nothing; a purchase after the moves still counts.
    ok(call(w, "PUT", f"/v1/customers/{c3['id']}", {"company_id": a["id"]}))
    purchase(f"{tag}-3@example.com", 0.01)
    assert assert_exact(w, a["id"])["revenue_total"] == Decimal("100.01")
    # A company deleted: its customers stay, unlinked; the other company's totals are untouched.
    gone = ok(call(w, "DELETE", f"/v1/companies/{b['id']}"))
    assert gone["customers_unlinked"] == 1
    assert ok(call(w, "GET", f"/v1/customers/{c1['id']}"))["company_id"] is None
    assert assert_exact(w, a["id"])["customers_count"] == 1


def test_linking_by_email_domain_is_a_setting_and_never_free_mail(stack, base: str) -> None:
    http = new_session("127.0.0.124")
    w = register(http, base, "Domain links")
    w["http"], w["base"] = http, base
    w["key"] = {"X-API-Key": ok(call(w, "POST", "/v1/api-keys", {"name": "server"}), 201)["key"]}
    acme = company(w, "Acme", domain="acme-links.com")
    gmail = company(w, "Gmail (free mail)", domain="gmail.com")
    gmx = company(w, "GMX (free mail)", domain="gmx.de")
    assert ok(call(w, "GET", "/v1/workspace"))["link_customers_by_email_domain"] is False

    off = customer(w, "before@acme-links.com")
    assert off["company_id"] is None, "off by default"

    settings = ok(call(w, "PUT", "/v1/workspace", {"link_customers_by_email_domain": True}))
    assert settings["link_customers_by_email_domain"] is True
    invalid(call(w, "PUT", "/v1/workspace", {"link_customers_by_email_domain": None}), "link_customers_by_email_domain")

    # Every path that creates a customer: the API, one tracked event, a batch, identify.
    api = customer(w, "api@ACME-links.com")
    assert api["company_id"] == acme["id"]
    one = call(w, "POST", "/v1/track/event", {"customer_email": "one@acme-links.com", "event": "purchase",
                                              "properties": {"amount": 12.5}}, headers=w["key"]).json()
    batch = call(w, "POST", "/v1/track/batch", {"events": [
        {"customer_email": "batch@acme-links.com", "event": "purchase", "properties": {"amount": 7.5}},
        {"customer_email": "someone@gmail.com", "event": "signup"},
        {"customer_email": "someone@gmx.de", "event": "signup"},
        {"customer_email": "other@hotmail.co.uk", "event": "signup"},
        {"customer_email": "x@sub.acme-links.com", "event": "signup"},
    ]}, headers=w["key"])
    assert batch.status_code == 200 and batch.json()["recorded"] == 5, batch.text
    identified = call(w, "POST", "/v1/track/identify", {"email": "identify@acme-links.com", "traits": {"name": "Ida"}},
                      headers=w["key"]).json()

    def company_of(email: str):
        found = ok(call(w, "GET", f"/v1/customers?email={email}"))["data"]
        assert len(found) == 1, email
        return found[0]["company_id"]

    assert ok(call(w, "GET", f"/v1/customers/{one['customer_id']}"))["company_id"] == acme["id"]
    assert company_of("batch@acme-links.com") == acme["id"]
    assert ok(call(w, "GET", f"/v1/customers/{identified['customer_id']}"))["company_id"] == acme["id"]
    for free in ["someone@gmail.com", "someone@gmx.de", "other@hotmail.co.uk"]:
        assert company_of(free) is None, f"{free} is free mail"
    assert company_of("x@sub.acme-links.com") is None, "a subdomain is another domain"
    assert company_of("before@acme-links.com") is None, "only new customers are linked"
    got = assert_exact(w, acme["id"])
    assert got["customers_count"] == 4 and got["revenue_total"] == Decimal("20.00")
    assert assert_exact(w, gmail["id"])["customers_count"] == 0
    assert assert_exact(w, gmx["id"])["customers_count"] == 0

    ok(call(w, "PUT", "/v1/workspace", {"link_customers_by_email_domain": False}))
    assert customer(w, "after@acme-links.com")["company_id"] is None
    audit = ok(call(w, "GET", "/v1/audit-log?action=settings.changed"))["data"]
    assert any("link_customers_by_email_domain" in (row.get("details") or {}).get("workspace", {}) for row in audit)


def test_erasure_and_export_of_a_linked_customer(ws) -> None:
    w = ws
    co = company(w, "Erasure Co")
    c = customer(w, unique("erase") + "@example.com", company_id=co["id"], owner_id=w["member"]["id"])
    exported = ok(call(w, "GET", f"/v1/customers/{c['id']}/export"))
    assert exported["customer"]["company_id"] == co["id"] and exported["customer"]["owner_id"] == w["member"]["id"]
    erased = ok(call(w, "DELETE", f"/v1/customers/{c['id']}"))
    assert erased["message"] == "Customer erased."
    assert call(w, "GET", f"/v1/customers/{c['id']}").status_code == 404
    assert assert_exact(w, co["id"])["customers_count"] == 0


def test_other_workspaces_companies_are_not_found(ws) -> None:
    w = ws
    theirs = ok(call(w, "POST", "/v1/companies", {"name": "Private Co", "domain": unique("private") + ".com"},
                     headers=w["other"]["auth"]), 201)
    for method, body in [("GET", None), ("PUT", {"name": "Mine now"}), ("PATCH", {"name": "Mine now"}), ("DELETE", None)]:
        r = call(w, method, f"/v1/companies/{theirs['id']}", body)
        assert r.status_code == 404, f"{method}: {r.status_code}"
        assert r.json()["message"]
    assert theirs["id"] not in [c["id"] for c in ok(call(w, "GET", "/v1/companies?per_page=100"))["data"]]
    assert ok(call(w, "GET", f"/v1/companies/{theirs['id']}", headers=w["other"]["auth"]))["name"] == "Private Co"


def test_roles(ws) -> None:
    w = ws
    co = company(w, "Roles Co")
    for method, path, body in [("POST", "/v1/companies", {"name": "Viewer's"}), ("PUT", f"/v1/companies/{co['id']}", {"name": "V"}),
                               ("PATCH", f"/v1/companies/{co['id']}", {"name": "V"}), ("DELETE", f"/v1/companies/{co['id']}", None)]:
        r = call(w, method, path, body, who="viewer")
        assert r.status_code == 403, f"viewer {method}: {r.status_code}"
    assert call(w, "GET", f"/v1/companies/{co['id']}", who="viewer").status_code == 200
    made = ok(call(w, "POST", "/v1/companies", {"name": "Member's"}, who="member"), 201)
    assert ok(call(w, "PUT", f"/v1/companies/{made['id']}", {"city": "Zadar"}, who="member"))["city"] == "Zadar"
    assert call(w, "DELETE", f"/v1/companies/{made['id']}", who="member").status_code == 403
    assert call(w, "DELETE", f"/v1/companies/{made['id']}", who="admin").status_code == 200
    audit = ok(call(w, "GET", "/v1/audit-log?action=company.deleted"))["data"]
    assert any(row["target"]["id"] == made["id"] and row["actor"]["id"] == w["admin"]["id"] for row in audit)
