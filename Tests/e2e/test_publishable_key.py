"""Issue 20, what comes in, attacked through nginx: a publishable key (public, in a web page)
trying to rewrite an identified customer and to raise a customer's lifetime value with forged
purchases; bodies of another Content-Type; control characters in names; oversized customer
properties; a campaign test send used to sign a redirect to an arbitrary URL. Each attack is
answered with a clear 4xx (or, for the publishable key, stored without effect), never a 5xx."""

from __future__ import annotations

import email
import email.policy
import html as html_module
import json
import re
import time
import uuid

import pytest

from .support import new_session
from .test_hostile import Patient, register


@pytest.fixture(scope="module")
def shop(base: str):
    http = new_session("127.0.0.161")
    me = register(http, base, "intake")
    http = Patient(http, me["keys"])
    r = http.post(f"{base}/v1/api-keys", headers=me["auth"], timeout=30, json={"name": "Website", "type": "publishable"})
    assert r.status_code == 201, r.text
    me["publishable"] = {"X-API-Key": r.json()["key"]}
    return me, http


def customer_by_email(http, base: str, me: dict, address: str) -> dict:
    r = http.get(f"{base}/v1/customers", params={"email": address}, headers=me["key"], timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["data"], f"no customer {address}"
    return http.get(f"{base}/v1/customers/{r.json()['data'][0]['id']}", headers=me["key"], timeout=30).json()


def test_publishable_identify_cannot_rewrite_an_identified_customer(base: str, shop) -> None:
    me, http = shop
    address = f"ana-{uuid.uuid4().hex[:8]}@shop.example"
    r = http.post(f"{base}/v1/customers", headers=me["key"], timeout=30, json={
        "name": "Ana Kovač", "email": address, "phone": "+385 91 123 4567", "properties": {"plan": "gold", "vip": True}})
    assert r.status_code == 201, r.text
    before = customer_by_email(http, base, me, address)
    # The attack, from a web page: the publishable key and an identified customer's email.
    r = http.post(f"{base}/v1/track/identify", headers=me["publishable"], timeout=30, json={
        "email": address.upper(), "anonymous_id": "attacker-browser",
        "traits": {"name": "Mallory", "phone": "+1 555 0100", "city": "Zagreb",
                   "properties": {"plan": "free", "vip": None, "utm_source": "ad"}}})
    assert r.status_code == 200, r.text
    assert r.json()["customer_id"] == before["id"]
    after = customer_by_email(http, base, me, address)
    assert after["name"] == "Ana Kovač" and after["email"] == address and after["phone"] == "+385 91 123 4567"
    assert after["properties"] == {"plan": "gold", "vip": True, "utm_source": "ad"}, "only an absent key is added"
    assert after["city"] == "Zagreb", "an empty field is filled"
    # The secret key keeps full rights.
    r = http.post(f"{base}/v1/track/identify", headers=me["key"], timeout=30, json={
        "email": address, "traits": {"name": "Ana K.", "properties": {"plan": "silver"}}})
    assert r.status_code == 200, r.text
    after = customer_by_email(http, base, me, address)
    assert after["name"] == "Ana K." and after["properties"]["plan"] == "silver"


def test_publishable_purchases_count_only_where_the_workspace_allows(base: str, shop) -> None:
    me, http = shop
    address = f"buyer-{uuid.uuid4().hex[:8]}@shop.example"

    def purchase(headers: dict, amount: float, batch: bool = False, plain: bool = False) -> None:
        event = {"customer_email": address, "event": "purchase", "properties": {"amount": amount, "currency": "EUR"}}
        body, path = ({"events": [event]}, "batch") if batch else (event, "event")
        if plain:  # as tracker.js sends it (sendBeacon: text/plain)
            r = http.post(f"{base}/v1/track/{path}", headers={**headers, "Content-Type": "text/plain"},
                          data=json.dumps(body), timeout=30)
        else:
            r = http.post(f"{base}/v1/track/{path}", headers=headers, json=body, timeout=30)
        assert r.status_code == 200, r.text

    assert http.get(f"{base}/v1/workspace", headers=me["auth"], timeout=30).json()["count_browser_revenue"] is False
    # The attack: forged purchases from a browser, single, beacon and batch.
    purchase(me["publishable"], 5000)
    purchase(me["publishable"], 7000, plain=True)
    purchase(me["publishable"], 9000, batch=True)
    buyer = customer_by_email(http, base, me, address)
    assert buyer["clv_total"] == 0 and buyer["clv_order_count"] == 0, buyer
    assert buyer["events_count"] == 3
    timeline = http.get(f"{base}/v1/customers/{buyer['id']}/events", headers=me["key"], timeout=30).json()["data"]
    assert sorted(e["properties"]["amount"] for e in timeline if e["event"] == "purchase") == [5000, 7000, 9000], \
        "stored, and shown on the timeline"
    # A server's purchase (secret key) always counts.
    purchase(me["key"], 100)
    assert customer_by_email(http, base, me, address)["clv_total"] == 100
    # The workspace turns the setting on: browser purchases count from then on.
    r = http.put(f"{base}/v1/workspace", headers=me["auth"], json={"count_browser_revenue": True}, timeout=30)
    assert r.status_code == 200 and r.json()["count_browser_revenue"] is True, r.text
    purchase(me["publishable"], 40)
    purchase(me["publishable"], 60, batch=True)
    buyer = customer_by_email(http, base, me, address)
    assert buyer["clv_total"] == 200 and buyer["clv_order_count"] == 3, buyer
    # Off again; a secret key may not change it (a user's setting).
    r = http.put(f"{base}/v1/workspace", headers=me["key"], json={"count_browser_revenue": True}, timeout=30)
    assert r.status_code in (401, 403), r.text
    r = http.put(f"{base}/v1/workspace", headers=me["auth"], json={"count_browser_revenue": False}, timeout=30)
    assert r.status_code == 200 and r.json()["count_browser_revenue"] is False
    purchase(me["publishable"], 1000)
    assert customer_by_email(http, base, me, address)["clv_total"] == 200


def test_json_endpoints_answer_415_to_other_content_types(base: str, shop) -> None:
    me, http = shop
    body = json.dumps({"name": "Typed", "email": "typed@shop.example"})
    for content_type in ("text/html", "application/x-www-form-urlencoded", "text/plain", "application/xml", None):
        headers = {**me["key"], **({"Content-Type": content_type} if content_type else {})}
        r = http.post(f"{base}/v1/customers", headers=headers, data=body.encode(), timeout=30)
        assert r.status_code == 415, f"{content_type}: {r.status_code} {r.text}"
        assert r.headers["Content-Type"].startswith("application/json")
        assert "application/json" in r.json()["message"] and "content_type" in r.json()["errors"]
        r = http.put(f"{base}/v1/workspace", headers={**me["auth"], **({"Content-Type": content_type} if content_type else {})},
                     data=json.dumps({"name": "Changed"}).encode(), timeout=30)
        assert r.status_code == 415, f"{content_type}: {r.status_code} {r.text}"
    r = http.get(f"{base}/v1/customers", params={"email": "typed@shop.example"}, headers=me["key"], timeout=30)
    assert r.status_code == 200 and r.json()["data"] == [], "nothing stored; a GET without a body still works"
    # The tracking endpoints also take text/plain (navigator.sendBeacon), but not HTML.
    anonymous = f"beacon-{uuid.uuid4().hex[:8]}"
    beacons = {
        "event": {"anonymous_id": anonymous, "event": "viewed"},
        "pageview": {"anonymous_id": anonymous, "url": "https://shop.example/"},
        "batch": {"events": [{"anonymous_id": anonymous, "event": "clicked"}]},
        "identify": {"anonymous_id": anonymous, "email": f"{anonymous}@shop.example"},
    }
    for path, payload in beacons.items():
        r = http.post(f"{base}/v1/track/{path}", headers={**me["publishable"], "Content-Type": "text/plain;charset=UTF-8",
                                                          "Origin": "https://shop.example"}, data=json.dumps(payload), timeout=30)
        assert r.status_code == 200, f"{path}: {r.text}"
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        r = http.post(f"{base}/v1/track/{path}", headers={**me["publishable"], "Content-Type": "text/html"},
                      data=json.dumps(payload), timeout=30)
        assert r.status_code == 415, f"{path}: {r.text}"
        assert "text/plain" in r.json()["message"]


def test_control_characters_are_refused_in_names(base: str, shop) -> None:
    me, http = shop
    address = f"eve-{uuid.uuid4().hex[:8]}@shop.example"
    for name in ("Eve\r\nBcc: victim@evil.example", "Eve\x00", "Eve\x1b[2J", "E\u0085ve", "Eve\u202egnp.exe", "Eve\tX"):
        r = http.post(f"{base}/v1/customers", headers=me["key"], json={"name": name, "email": address}, timeout=30)
        assert r.status_code == 422 and "name" in r.json()["errors"], f"{name!r}: {r.text}"
        r = http.post(f"{base}/v1/segments", headers=me["key"], json={"name": name, "filters": {}}, timeout=30)
        assert r.status_code == 422 and "name" in r.json()["errors"], f"{name!r}: {r.text}"
        r = http.put(f"{base}/v1/workspace", headers=me["auth"], json={"name": name}, timeout=30)
        assert r.status_code == 422 and "name" in r.json()["errors"], f"{name!r}: {r.text}"
    r = http.get(f"{base}/v1/customers", params={"email": address}, headers=me["key"], timeout=30)
    assert r.json()["data"] == []
    assert "Eve" not in http.get(f"{base}/v1/workspace", headers=me["auth"], timeout=30).json()["name"]
    # A multi-line field keeps its line breaks.
    r = http.post(f"{base}/v1/segments", headers=me["key"], timeout=30,
                  json={"name": "Two lines", "description": "First line\nSecond line", "filters": {}})
    assert r.status_code == 201, r.text


def test_customer_properties_are_limited(base: str, shop) -> None:
    me, http = shop
    address = f"props-{uuid.uuid4().hex[:8]}@shop.example"
    r = http.post(f"{base}/v1/customers", headers=me["key"], timeout=30,
                  json={"email": address, "properties": {"bio": "x" * (9 * 1024)}})
    assert r.status_code == 422 and "properties.bio" in r.json()["errors"], r.text
    whole = {f"k{i}": "y" * 7000 for i in range(10)}  # each value within 8 KiB, 70 KB in all
    r = http.post(f"{base}/v1/customers", headers=me["key"], timeout=30, json={"email": address, "properties": whole})
    assert r.status_code == 422 and "properties" in r.json()["errors"], r.text
    r = http.post(f"{base}/v1/customers", headers=me["key"], timeout=30, json={"email": address, "properties": {"ok": "z" * 8000}})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = http.put(f"{base}/v1/customers/{cid}", headers=me["key"], timeout=30, json={"properties": {"bio": "x" * (9 * 1024)}})
    assert r.status_code == 422 and "properties.bio" in r.json()["errors"], r.text
    r = http.put(f"{base}/v1/customers/{cid}", headers=me["key"], timeout=30,
                 json={"properties": {f"k{i}": "y" * 7000 for i in range(9)}})
    assert r.status_code == 422 and "properties" in r.json()["errors"], "the merged whole passes 64 KiB"
    for headers in (me["publishable"], me["key"]):
        r = http.post(f"{base}/v1/track/identify", headers=headers, timeout=30,
                      json={"email": address, "traits": {"properties": {"bio": "x" * (9 * 1024)}}})
        assert r.status_code == 422 and "traits.properties.bio" in r.json()["errors"], r.text
    assert customer_by_email(http, base, me, address)["properties"] == {"ok": "z" * 8000}


def mailbox_html(http, base: str, me: dict, subject_part: str, timeout: float = 60) -> str:
    deadline = time.time() + timeout
    while True:
        r = http.get(f"{base}/v1/mailbox", params={"per_page": 100}, headers=me["key"], timeout=30)
        assert r.status_code == 200, r.text
        for item in r.json()["data"]:
            if subject_part in (item["subject"] or ""):
                raw = http.get(f"{base}/v1/mailbox/{item['name']}", headers=me["key"], timeout=30).content
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                return next(part.get_content() for part in msg.walk() if part.get_content_type() == "text/html")
        assert time.time() < deadline, f"no message with {subject_part!r}"
        time.sleep(1)


def test_a_test_send_signs_no_redirect(base: str, shop) -> None:
    me, http = shop
    marker = uuid.uuid4().hex[:8]
    target = f"https://evil.example/phish-{marker}"
    r = http.post(f"{base}/v1/campaigns", headers=me["key"], timeout=30, json={
        "name": f"Open redirect {marker}", "type": "email", "subject": f"Redirect {marker}",
        "body": f'<p><a href="{target}">Claim your prize</a></p>'})
    assert r.status_code == 201, r.text
    r = http.post(f"{base}/v1/campaigns/{r.json()['id']}/test", headers=me["key"], json={"email": "me@shop.example"}, timeout=30)
    assert r.status_code == 200, r.text
    html = mailbox_html(http, base, me, f"Redirect {marker}")
    hrefs = [html_module.unescape(h) for h in re.findall(r'href="([^"]+)"', html)]
    assert target in hrefs, "the test message keeps the link as written"
    assert not [h for h in hrefs if "/t/c/" in h], f"a test send signs no click redirect: {hrefs}"
    # A click link made up for a test token (which no campaign message has) redirects nowhere.
    plain = new_session("127.0.0.162")
    for token in ("test" + "0" * 20, "a" * 24):
        r = plain.get(f"{base}/t/c/{token}", params={"u": target, "s": "0" * 32}, allow_redirects=False, timeout=30)
        assert r.status_code == 404 and "Location" not in r.headers, r.text
