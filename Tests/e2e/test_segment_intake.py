"""Issue 26 part 1: the Segment-compatible intake through nginx. Segment's own Python library
(segment-analytics-python, unchanged but for its host and write key) sends all seven calls;
raw HTTP checks the rest of the spec: Basic and body write keys, gzip, messageId
de-duplication, the sentAt clock correction, the size limits, a publishable key that cannot
overwrite an identified customer, and another workspace left untouched."""

from __future__ import annotations

import base64
import gzip
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

from .support import new_session
from .test_hostile import register
# The publishable-key tests' workspace: eight secret keys and a publishable one (a pytest fixture).
from .test_publishable_key import shop  # noqa: F401


def publishable(me: dict) -> str:
    return me["publishable"]["X-API-Key"]


def basic(key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def customer(http, base: str, me: dict, external_id: str) -> dict | None:
    r = http.get(f"{base}/v1/customers", params={"external_id": external_id}, headers=me["key"], timeout=30)
    assert r.status_code == 200, r.text
    if not r.json()["data"]:
        return None
    return http.get(f"{base}/v1/customers/{r.json()['data'][0]['id']}", headers=me["key"], timeout=30).json()


def events(http, base: str, me: dict, customer_id: int) -> list[dict]:
    r = http.get(f"{base}/v1/customers/{customer_id}/events", params={"per_page": 100}, headers=me["key"], timeout=30)
    assert r.status_code == 200, r.text
    return [e for e in r.json()["data"] if e["type"] in ("event", "pageview")]


def test_the_segment_python_library_sends_all_seven_calls(base: str, shop, monkeypatch) -> None:
    from segment.analytics import Client

    me, http = shop
    # The stack's certificate, trusted the way requests is told to (no change to the library).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", os.environ["ENTERCRM_TLS_CERT"])
    failures: list = []
    client = Client(me["keys"][1], host=base, sync_mode=True, on_error=lambda e, batch: failures.append(e))
    user, anonymous = f"user-{uuid.uuid4().hex[:8]}", f"anon-{uuid.uuid4().hex[:8]}"
    address = f"{user}@segment.example"
    client.track(anonymous_id=anonymous, event="Viewed Pricing", properties={"plan": "pro"})
    client.identify(user, {"email": address, "firstName": "Iva", "lastName": "Horvat", "phone": "+385 1 2345",
                           "address": {"city": "Split", "country": "hr"}, "plan": "pro"}, anonymous_id=anonymous)
    client.track(user, "Order Completed", {"order_id": "o-1", "revenue": 149.5, "currency": "eur"})
    client.page(user, "Docs", "Getting started", {"url": "https://shop.example/docs/start", "title": "Start"})
    client.screen(user, "Onboarding", "Welcome", {"step": 1})
    client.group(user, f"grp-{user}", {"name": f"Acme {user}", "website": f"https://{user}.acme.example", "industry": "Retail"})
    client.alias(f"old-{user}", user)
    client.flush()
    assert failures == []

    found = customer(http, base, me, user)
    assert found is not None
    assert found["external_id"] == user and found["email"] == address
    assert found["name"] == "Iva Horvat" and found["phone"] == "+385 1 2345"
    assert found["city"] == "Split" and found["country"] == "HR"
    assert found["properties"]["plan"] == "pro" and found["properties"]["address"]["city"] == "Split"
    # Order Completed with revenue counts as a purchase for the lifetime value.
    assert float(found["clv_total"]) == 149.5 and found["clv_order_count"] == 1 and found["currency"] == "EUR"
    # group: the customer is in the company the group names (created with its traits).
    assert found["company_id"] is not None
    company = http.get(f"{base}/v1/companies/{found['company_id']}", headers=me["key"], timeout=30).json()
    assert company["name"] == f"Acme {user}" and company["domain"] == f"{user}.acme.example"
    seen = events(http, base, me, found["id"])
    names = sorted(e["event"] for e in seen)
    # The anonymous track joined the customer at identify; page and screen are pageviews.
    assert names == sorted(["Viewed Pricing", "Order Completed", "pageview", "pageview"]), names
    page = next(e for e in seen if e["type"] == "pageview" and e["url"] == "https://shop.example/docs/start")
    assert page["properties"]["title"] == "Start"
    screen = next(e for e in seen if e["type"] == "pageview" and e["url"] != "https://shop.example/docs/start")
    assert screen["properties"]["screen"] is True and screen["properties"]["name"] == "Welcome"


def post(http, base: str, path: str, body, headers: dict, gzipped: bool = False):
    data = json.dumps(body).encode()
    h = {"Content-Type": "application/json", **headers}
    if gzipped:
        data = gzip.compress(data)
        h["Content-Encoding"] = "gzip"
    return http.post(f"{base}{path}", data=data, headers=h, timeout=30)


def test_basic_and_body_write_keys_gzip_and_answers(base: str, shop) -> None:
    me, http = shop
    user = f"raw-{uuid.uuid4().hex[:8]}"
    r = post(http, base, "/v1/identify", {"userId": user, "traits": {"name": "Basic"}}, basic(me["keys"][2]))
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    r = post(http, base, "/v1/track", {"userId": user, "event": "Body Key", "writeKey": me["keys"][3]}, {})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    r = post(http, base, "/v1/batch", {"batch": [{"type": "track", "userId": user, "event": "Gzipped"}]},
             basic(me["keys"][4]), gzipped=True)
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    # From a web page: a preflight for any origin, and a text/plain body with its writeKey (no preflight).
    r = http.request("OPTIONS", f"{base}/v1/batch", timeout=30, headers={"Origin": "https://shop.example"})
    assert r.status_code == 204 and r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    r = http.post(f"{base}/v1/batch", timeout=30, headers={"Content-Type": "text/plain", "Origin": "https://shop.example"},
                  data=json.dumps({"writeKey": publishable(me), "batch": [{"type": "page", "userId": user, "name": "Home",
                                                                              "properties": {"url": "https://shop.example/"}}]}))
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*", r.text
    found = customer(http, base, me, user)
    assert found["name"] == "Basic"
    assert sorted(e["event"] for e in events(http, base, me, found["id"])) == ["Body Key", "Gzipped", "pageview"]
    # No key, a wrong key, a password with the key: 401. Basic is not a key elsewhere.
    assert post(http, base, "/v1/track", {"userId": user, "event": "x"}, {}).status_code == 401
    assert post(http, base, "/v1/track", {"userId": user, "event": "x"}, basic("eck_wrong")).status_code == 401
    with_password = {"Authorization": "Basic " + base64.b64encode(f"{me['keys'][2]}:pw".encode()).decode()}
    assert post(http, base, "/v1/track", {"userId": user, "event": "x"}, with_password).status_code == 401
    assert http.get(f"{base}/v1/customers", headers=basic(me["keys"][2]), timeout=30).status_code == 401
    # Invalid messages: 400 naming the field; a broken gzip body too.
    r = post(http, base, "/v1/track", {"userId": f"{user}-none"}, basic(me["keys"][2]))
    assert r.status_code == 400 and "event" in r.json()["errors"], r.text
    assert customer(http, base, me, f"{user}-none") is None, "an invalid event makes no customer"
    r = post(http, base, "/v1/track", {"event": "no one"}, basic(me["keys"][2]))
    assert r.status_code == 400 and "userId" in r.json()["errors"], r.text
    r = http.post(f"{base}/v1/batch", data=b"\x1f\x8bnot gzip", timeout=30,
                  headers={"Content-Encoding": "gzip", "Content-Type": "application/json", **basic(me["keys"][2])})
    assert r.status_code == 400 and "Content-Encoding" in r.json()["errors"], r.text
    # A batch keeps its valid messages and names the others.
    r = post(http, base, "/v1/batch", {"batch": [{"type": "track", "userId": user, "event": "Kept"},
                                                 {"type": "track", "userId": user}, {"type": "nope"}]}, basic(me["keys"][2]))
    assert r.status_code == 200 and r.json()["success"] is True, r.text
    assert [e["index"] for e in r.json()["errors"]] == [1, 2]


def test_message_id_deduplicates_and_sent_at_corrects_the_clock(base: str, shop) -> None:
    me, http = shop
    user, message = f"dedup-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    msg = {"type": "track", "userId": user, "event": "Once", "messageId": message}
    for _ in range(2):
        assert post(http, base, "/v1/batch", {"batch": [msg, msg]}, basic(me["keys"][5])).status_code == 200
    found = customer(http, base, me, user)
    assert [e["event"] for e in events(http, base, me, found["id"])] == ["Once"]
    assert found["events_count"] == 1
    # A client whose clock is two hours fast: its originalTimestamp is moved by sentAt - now.
    now = datetime.now(timezone.utc)
    fast = now + timedelta(hours=2)
    original = fast - timedelta(minutes=10)
    r = post(http, base, "/v1/batch", {"sentAt": fast.isoformat(), "batch": [
        {"type": "track", "userId": user, "event": "Skewed", "originalTimestamp": original.isoformat()}]}, basic(me["keys"][5]))
    assert r.status_code == 200, r.text
    skewed = next(e for e in events(http, base, me, found["id"]) if e["event"] == "Skewed")
    occurred = datetime.fromisoformat(skewed["occurred_at"].replace("Z", "+00:00"))
    assert abs((occurred - (now - timedelta(minutes=10))).total_seconds()) < 60, skewed["occurred_at"]
    # timestamp, when given, is taken as it is.
    r = post(http, base, "/v1/track", {"userId": user, "event": "Stamped", "timestamp": "2026-01-02T03:04:05.000+01:00"},
             basic(me["keys"][5]))
    assert r.status_code == 200, r.text
    stamped = next(e for e in events(http, base, me, found["id"]) if e["event"] == "Stamped")
    assert stamped["occurred_at"].startswith("2026-01-02T02:04:05")


def test_size_limits(base: str, shop) -> None:
    me, http = shop
    user = f"big-{uuid.uuid4().hex[:8]}"
    big = {"type": "track", "userId": user, "event": "Big", "properties": {"blob": "x" * 33_000}}
    r = post(http, base, "/v1/track", big, basic(me["keys"][6]))
    assert r.status_code == 400, r.text
    r = post(http, base, "/v1/batch", {"batch": [big]}, basic(me["keys"][6]))
    assert r.status_code == 400 and "batch.0" in r.json()["errors"], r.text
    many = [{"type": "track", "userId": user, "event": "Many", "properties": {"blob": "y" * 20_000}} for _ in range(30)]
    r = post(http, base, "/v1/batch", {"batch": many}, basic(me["keys"][6]))
    assert r.status_code == 400 and "batch" in r.json()["errors"], r.text
    # A gzip bomb: a small body that inflates past the limit is refused without storing.
    r = post(http, base, "/v1/batch", {"batch": many}, basic(me["keys"][6]), gzipped=True)
    assert r.status_code == 400, r.text
    # Far beyond the limit, nginx refuses the body itself.
    r = http.post(f"{base}/v1/batch", data=b"{" + b" " * 1_200_000 + b"}", timeout=30,
                  headers={"Content-Type": "application/json", **basic(me["keys"][6])})
    assert r.status_code == 413
    assert customer(http, base, me, user) is None, "nothing stored"


def test_publishable_key_cannot_overwrite_an_identified_customer(base: str, shop) -> None:
    me, http = shop
    user = f"vip-{uuid.uuid4().hex[:8]}"
    r = post(http, base, "/v1/identify", {"userId": user, "traits": {"email": f"{user}@shop.example", "name": "Ana",
                                                                       "plan": "gold"}}, basic(me["keys"][7]))
    assert r.status_code == 200, r.text
    pub = basic(publishable(me))
    r = post(http, base, "/v1/identify", {"userId": user, "anonymousId": "attacker", "traits": {
        "email": "mallory@evil.example", "name": "Mallory", "plan": "free", "city": "Zagreb"}}, pub)
    assert r.status_code == 200, r.text
    r = post(http, base, "/v1/alias", {"previousId": user, "userId": "mallory"}, pub)
    assert r.status_code == 200, r.text
    # Forged revenue through the browser key does not count (count_browser_revenue is off).
    r = post(http, base, "/v1/track", {"userId": user, "event": "Order Completed", "properties": {"revenue": 99999}}, pub)
    assert r.status_code == 200, r.text
    found = customer(http, base, me, user)
    assert found["name"] == "Ana" and found["email"] == f"{user}@shop.example"
    assert found["properties"]["plan"] == "gold"
    assert found["city"] == "Zagreb", "an empty field is filled"
    assert float(found["clv_total"]) == 0
    assert customer(http, base, me, "mallory") is None


def test_another_workspace_is_untouched(base: str, shop) -> None:
    me, http = shop
    other = register(new_session("127.0.0.163"), base, "segment-other")
    user = f"shared-{uuid.uuid4().hex[:8]}"
    r = post(http, base, "/v1/identify", {"userId": user, "traits": {"name": "Theirs"}}, basic(other["keys"][0]))
    assert r.status_code == 200
    r = post(http, base, "/v1/identify", {"userId": user, "traits": {"name": "Ours"}}, basic(me["keys"][1]))
    assert r.status_code == 200
    theirs = customer(new_session("127.0.0.163"), base, other, user)
    ours = customer(http, base, me, user)
    assert theirs["name"] == "Theirs" and ours["name"] == "Ours" and theirs["id"] != ours["id"]
    # The Sources page's data: each key with its latest Segment events, this workspace's only.
    r = http.get(f"{base}/v1/sources", headers=me["auth"], timeout=30)
    assert r.status_code == 200, r.text
    sources = {s["id"]: s for s in r.json()["data"]}
    assert any(e["event"] == "Order Completed" for s in sources.values() for e in s["latest_events"])
    assert all(e["customer_id"] != theirs["id"] for s in sources.values() for e in s["latest_events"])
