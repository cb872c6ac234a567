"""Hostile input against campaigns and automations, through nginx: header injection through
merge tags (the .eml in the development mailbox must keep its headers), click redirects that
are tampered with or unsigned, javascript: and data: links in a campaign's body, and another
workspace's ids in a campaign's segment_id and in automations' triggers and designs. Each
answers a clear 4xx, never a 5xx, and nothing reaches across workspaces."""

from __future__ import annotations

import email
import email.policy
import html as html_module
import re
import time
import urllib.parse

import pytest

from .support import new_session
from .test_hostile import Patient, register

INJECTED_NAME = "Eve\r\nBcc: victim@evil.example\r\nX-Injected: yes"


@pytest.fixture(scope="module")
def workspaces(base: str):
    http = new_session("127.0.0.142")
    me, other = register(http, base, "mailer"), register(http, base, "victim")
    http = Patient(http, me["keys"])
    key = me["key"]
    r = http.post(f"{base}/v1/customers", headers=key, timeout=30, json={
        "name": INJECTED_NAME, "email": "eve@inject.example", "city": "Split\r\nX-City: injected",
        "properties": {"note": "a\r\nCc: victim2@evil.example"}})
    assert r.status_code in (201, 422), r.text
    if r.status_code == 422:
        # A name with line breaks refused at the door is as good; keep them in a property.
        r = http.post(f"{base}/v1/customers", headers=key, timeout=30, json={
            "name": "Eve", "email": "eve@inject.example", "properties": {"note": INJECTED_NAME}})
        assert r.status_code == 201, r.text
    me["customer"] = r.json()["id"]
    segment = http.post(f"{base}/v1/segments", headers=key, timeout=30,
                        json={"name": "Injected", "filters": {"email_domain": "inject.example"}})
    assert segment.status_code == 201, segment.text
    me["segment"] = segment.json()["id"]
    deadline = time.time() + 60
    while True:
        built = http.get(f"{base}/v1/segments/{me['segment']}", headers=key, timeout=30).json()
        if built["status"] == "ready" and built["customers_count"] == 1:
            break
        assert time.time() < deadline, f"the segment was not built: {built}"
        time.sleep(0.5)
    theirs = Patient(new_session("127.0.0.143"), other["keys"])
    r = theirs.post(f"{base}/v1/segments", headers=other["key"], timeout=30,
                    json={"name": "Their segment", "filters": {}})
    assert r.status_code == 201, r.text
    other["segment"] = r.json()["id"]
    # CRM ids count per workspace: theirs get two entities, ours one, so that their second
    # entity, its pipeline and its last stage have ids that this workspace does not have.
    crm = f"{base}/api/brands/{other['slug']}/crm"
    theirs.post(f"{crm}/entities", json={"preset": "leads"}, headers=other["key"], timeout=30).raise_for_status()
    entity = theirs.post(f"{crm}/entities", json={"preset": "deals"}, headers=other["key"], timeout=30).json()
    other.update(entity=entity["id"], pipeline=entity["pipelines"][-1]["id"], stage=entity["pipelines"][-1]["stages"][-1]["id"])
    mine = http.post(f"{base}/api/brands/{me['slug']}/crm/entities", json={"preset": "deals"}, headers=key, timeout=30).json()
    me.update(entity=mine["id"], pipeline=mine["pipelines"][0]["id"], stage=mine["pipelines"][0]["stages"][0]["id"])
    assert other["entity"] != me["entity"] and other["pipeline"] != me["pipeline"]
    assert other["stage"] not in [s["id"] for p in mine["pipelines"] for s in p["stages"]]
    return me, other, http


def mailbox_message(http, base: str, me: dict, subject_part: str, timeout: float = 60) -> bytes:
    """The newest .eml of the workspace whose subject holds `subject_part`."""
    deadline = time.time() + timeout
    while True:
        r = http.get(f"{base}/v1/mailbox", params={"per_page": 100}, headers=me["key"], timeout=30)
        assert r.status_code == 200, r.text
        for item in r.json()["data"]:
            if subject_part in (item["subject"] or ""):
                raw = http.get(f"{base}/v1/mailbox/{item['name']}", headers=me["key"], timeout=30)
                assert raw.status_code == 200, raw.text
                assert raw.headers["Content-Type"].startswith("message/rfc822")
                return raw.content
        assert time.time() < deadline, f"no message with {subject_part!r} in the mailbox: {r.json()['data'][:5]}"
        time.sleep(1)


def head_and_html(raw: bytes) -> tuple[str, str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    html = next(part.get_content() for part in msg.walk() if part.get_content_type() == "text/html")
    return head, html


def header_names(head: str) -> list[str]:
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line and not line[0].isspace()]


def make_campaign(http, base: str, me: dict, subject: str, body: str) -> int:
    r = http.post(f"{base}/v1/campaigns", headers=me["key"], timeout=30, json={
        "name": subject, "type": "email", "segment_id": me["segment"], "subject": subject, "body": body})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_merge_tags_cannot_add_headers(base: str, workspaces) -> None:
    me, _, http = workspaces
    subject = "Hello {{name}} {{properties.note}} {{city}}"
    body = "<p>Hi {{name}} from {{city}}, {{properties.note}}</p>"
    campaign = make_campaign(http, base, me, subject + " test-send", body)
    r = http.post(f"{base}/v1/campaigns/{campaign}/test", headers=me["key"], timeout=30,
                  json={"email": "eve@inject.example"})
    assert r.status_code == 200, r.text
    sent = make_campaign(http, base, me, subject + " real-send", body)
    r = http.post(f"{base}/v1/campaigns/{sent}/send", headers=me["key"], timeout=30)
    assert r.status_code == 200 and r.json()["queued_messages"] == 1, r.text
    for marker in ("test-send", "real-send"):
        raw = mailbox_message(http, base, me, marker)
        head, html = head_and_html(raw)
        names = header_names(head)
        assert "bcc" not in names and "cc" not in names and "x-injected" not in names and "x-city" not in names, head
        assert names.count("to") == 1 and names.count("subject") == 1, head
        for line in head.split("\r\n"):
            assert "\r" not in line and "\n" not in line
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["To"].addresses[0].addr_spec == "eve@inject.example"
        assert "victim" not in str(msg["To"]) or "Bcc" in str(msg["To"])  # the name stays inside the To header
        assert "<p>" in html


def test_click_redirects_refuse_tampered_and_unsigned_targets(base: str, workspaces) -> None:
    me, _, http = workspaces
    campaign = make_campaign(http, base, me, "Links click-test", '<p><a href="https://shop.example/offer?a=1&amp;b=2">Offer</a></p>')
    # Sent (a test send signs no click redirect: test_publishable_key.py).
    r = http.post(f"{base}/v1/campaigns/{campaign}/send", headers=me["key"], timeout=30)
    assert r.status_code == 200 and r.json()["queued_messages"] == 1, r.text
    _, html = head_and_html(mailbox_message(http, base, me, "click-test"))
    links = [html_module.unescape(u) for u in re.findall(r'href="([^"]*/t/c/[^"]+)"', html)]
    assert links, html
    parts = urllib.parse.urlsplit(links[0])
    query = dict(urllib.parse.parse_qsl(parts.query))
    token = parts.path.rsplit("/", 1)[-1]
    plain = new_session("127.0.0.144")
    good = plain.get(f"{base}/t/c/{token}", params=query, allow_redirects=False, timeout=30)
    assert good.status_code == 302 and good.headers["Location"] == "https://shop.example/offer?a=1&b=2", good.text
    cases = {
        "another target, same signature": {"u": "https://evil.example/", "s": query["s"]},
        "unsigned": {"u": query["u"]},
        "empty signature": {"u": query["u"], "s": ""},
        "forged signature": {"u": "https://evil.example/", "s": "0" * 32},
        "target with a header": {"u": query["u"] + "\r\nSet-Cookie: a=b", "s": query["s"]},
        "javascript target": {"u": "javascript:alert(1)", "s": query["s"]},
        "no target": {"s": query["s"]},
    }
    for what, params in cases.items():
        r = plain.get(f"{base}/t/c/{token}", params=params, allow_redirects=False, timeout=30)
        assert 400 <= r.status_code < 500, f"{what}: {r.status_code} {r.headers.get('Location')}"
        assert "Location" not in r.headers, what
        assert "Set-Cookie" not in r.headers, what
    # Another token with this link's signature.
    r = plain.get(f"{base}/t/c/{'a' * 24}", params=query, allow_redirects=False, timeout=30)
    assert r.status_code == 404 and "Location" not in r.headers


def test_script_and_data_links_in_a_body_are_neutralised(base: str, workspaces) -> None:
    me, _, http = workspaces
    body = ('<p><a href="javascript:alert(document.cookie)">a</a> <a href=" JaVaScRiPt:alert(1)">b</a>'
            ' <a href="java&#x09;script:alert(2)">c</a> <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>'
            " <a href='vbscript:msgbox(1)'>e</a> <a href=\"https://ok.example/\r\nSet-Cookie: x=y\">f</a></p>")
    campaign = make_campaign(http, base, me, "Schemes scheme-test", body)
    r = http.post(f"{base}/v1/campaigns/{campaign}/test", headers=me["key"], timeout=30, json={"email": "eve@inject.example"})
    assert r.status_code == 200, r.text
    raw = mailbox_message(http, base, me, "scheme-test")
    _, html = head_and_html(raw)
    hrefs = re.findall(r"href=[\"']([^\"']*)[\"']", html)
    for href in hrefs:
        squashed = re.sub(r"[\x00-\x20]", "", href).lower()
        assert not squashed.startswith(("javascript:", "data:", "vbscript:")), href
        assert "java&#x09;script" not in href.lower(), href
    plain = new_session("127.0.0.144")
    for href in hrefs:
        if "/t/c/" not in href:
            continue
        url = html_module.unescape(href)
        path = url[url.index("/t/c/"):]
        r = plain.get(f"{base}{path}", allow_redirects=False, timeout=30)
        assert r.status_code in (302, 404), r.text
        if r.status_code == 302:
            location = r.headers["Location"]
            assert location.lower().startswith(("http://", "https://")), location
            assert "\r" not in location and "\n" not in location
        assert "Set-Cookie" not in r.headers


def test_another_workspaces_segment_in_a_campaign(base: str, workspaces) -> None:
    me, other, http = workspaces
    r = http.post(f"{base}/v1/campaigns", headers=me["key"], timeout=30, json={
        "name": "Steal", "type": "email", "segment_id": other["segment"], "subject": "x", "body": "<p>x</p>"})
    assert r.status_code in (404, 422), r.text
    assert "Their segment" not in r.text
    campaign = make_campaign(http, base, me, "Mine", "<p>x</p>")
    r = http.put(f"{base}/v1/campaigns/{campaign}", headers=me["key"], timeout=30, json={"segment_id": other["segment"]})
    assert r.status_code in (404, 422), r.text
    r = http.get(f"{base}/v1/campaigns/{campaign}", headers=me["key"], timeout=30)
    assert r.json()["segment_id"] == me["segment"]
    r = http.get(f"{base}/v1/campaigns/audience-size", params={"segment_id": other["segment"]}, headers=me["key"], timeout=30)
    assert r.status_code in (200, 404, 422), r.text
    if r.status_code == 200:
        assert r.json()["members"] == 0 and r.json()["reachable"] == 0
    for path in (f"/v1/segments/{other['segment']}", f"/v1/segments/{other['segment']}/export.csv",
                 f"/v1/segments/{other['segment']}/history"):
        r = http.get(f"{base}{path}", headers=me["key"], timeout=30)
        assert r.status_code == 404, f"{path}: {r.status_code}"
    r = http.get(f"{base}/v1/segments/changes", params={"segment_id": other["segment"]}, headers=me["key"], timeout=30)
    assert r.status_code == 404
    r = http.post(f"{base}/v1/segments/preview", headers=me["key"], timeout=30,
                  json={"filters": {"in_segment": other["segment"]}})
    assert r.status_code in (404, 422), r.text


def design(action: dict | None = None, condition: dict | None = None) -> dict:
    nodes = [{"id": "t", "type": "trigger", "data": {}}]
    edges = []
    if condition is not None:
        nodes += [{"id": "c", "type": "condition", "data": {"filters": condition}},
                  {"id": "y", "type": "exit", "data": {}}, {"id": "n", "type": "exit", "data": {}}]
        edges += [{"id": "e1", "source": "t", "target": "c"}, {"id": "e2", "source": "c", "target": "y", "sourceHandle": "yes"},
                  {"id": "e3", "source": "c", "target": "n", "sourceHandle": "no"}]
    if action is not None:
        nodes.append({"id": "a", "type": "action", "data": action})
        edges.append({"id": "ea", "source": "t", "target": "a"})
    return {"nodes": nodes, "edges": edges}


def test_another_workspaces_ids_in_automations(base: str, workspaces) -> None:
    me, other, http = workspaces
    key = me["key"]
    # Triggers.
    for trigger_type, config in (("segment_entered", {"segment_id": other["segment"]}),
                                 ("segment_exited", {"segment_id": other["segment"]}),
                                 ("crm_entry_created", {"entity": other["entity"]}),
                                 ("crm_entry_stage_changed", {"entity": other["entity"]})):
        r = http.post(f"{base}/v1/automations", headers=key, timeout=30,
                      json={"name": "Steal", "trigger_type": trigger_type, "trigger_config": config})
        assert r.status_code in (404, 422), f"{trigger_type}: {r.status_code} {r.text}"
    r = http.post(f"{base}/v1/automations", headers=key, timeout=30, json={
        "name": "Mine", "trigger_type": "segment_entered", "trigger_config": {"segment_id": me["segment"]}})
    assert r.status_code == 201, r.text
    automation = r.json()["id"]
    r = http.put(f"{base}/v1/automations/{automation}", headers=key, timeout=30,
                 json={"trigger_config": {"segment_id": other["segment"]}})
    assert r.status_code in (404, 422), r.text
    # Designs.
    foreign = {
        "in_segment condition": design(condition={"in_segment": other["segment"]}),
        "nested in_segment": design(condition={"any": [{"not": {"in_segment": other["segment"]}}]}),
        "their entity": design({"action": "create_crm_entry", "entity": other["entity"], "pipeline": other["pipeline"],
                                "stage": other["stage"]}),
        "my entity, their pipeline": design({"action": "create_crm_entry", "entity": me["entity"],
                                             "pipeline": other["pipeline"], "stage": other["stage"]}),
        "my pipeline, their stage": design({"action": "create_crm_entry", "entity": me["entity"],
                                            "pipeline": me["pipeline"], "stage": other["stage"]}),
        "move to their stage": design({"action": "move_crm_entry", "stage": other["stage"]}),
        "notify their owner": design({"action": "notify_user", "user_id": other["user_id"], "subject": "hi"}),
    }
    for what, d in foreign.items():
        r = http.post(f"{base}/v1/automations/{automation}/design", headers=key, timeout=30, json=d)
        assert r.status_code in (404, 422), f"{what}: {r.status_code} {r.text}"
        r = http.post(f"{base}/v1/automations", headers=key, timeout=30, json={
            "name": "Steal", "trigger_type": "customer_created", "design": d})
        assert r.status_code in (404, 422), f"{what} (create): {r.status_code} {r.text}"
    stored = http.get(f"{base}/v1/automations/{automation}/design", headers=key, timeout=30).json()
    assert stored["nodes"] == []
    # The same designs with this workspace's ids are saved.
    mine = design({"action": "create_crm_entry", "entity": me["entity"], "pipeline": me["pipeline"], "stage": me["stage"]})
    r = http.post(f"{base}/v1/automations/{automation}/design", headers=key, timeout=30, json=mine)
    assert r.status_code == 200, r.text
    r = http.post(f"{base}/v1/automations/{automation}/design", headers=key, timeout=30,
                  json=design(condition={"in_segment": me["segment"]}))
    assert r.status_code == 200, r.text
    # Their automation is not ours to read, change or run.
    theirs = Patient(new_session("127.0.0.143"), other["keys"])
    r = theirs.post(f"{base}/v1/automations", headers=other["key"], timeout=30, json={
        "name": "Theirs", "trigger_type": "segment_entered", "trigger_config": {"segment_id": other["segment"]}})
    assert r.status_code == 201, r.text
    their_automation = r.json()["id"]
    for method, path, body in (("GET", "", None), ("PUT", "", {"name": "Mine now"}), ("DELETE", "", None),
                               ("GET", "/design", None), ("POST", "/design", mine), ("POST", "/activate", None),
                               ("POST", "/deactivate", None), ("GET", "/enrolments", None)):
        r = http.request(method, f"{base}/v1/automations/{their_automation}{path}", headers=key, json=body, timeout=30)
        assert r.status_code == 404, f"{method} {path}: {r.status_code} {r.text}"
