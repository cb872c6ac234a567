"""Issue 23 part 4, the API behind the console's first-time flows: a campaign's report
(clicks per link, opens and clicks over time) against known clicks through the real
tracking links; a segment's `used_by` (the campaigns that send to it, the automations that
read it); an automation's draft saved with its problems, then refused activation. Another
workspace's records answer 404."""

from __future__ import annotations

import email
import email.policy
import re

from .support import new_session
from .test_campaigns import BROWSER, make_segment, register, smtp, sql, use_smtp, wait_status  # noqa: F401 (smtp: fixture)


def test_campaign_report_counts_clicks_per_link_and_over_time(stack, base: str, smtp) -> None:
    sink, port = smtp
    ws = register(base, "127.0.0.241")
    other = register(base, "127.0.0.242")
    use_smtp(base, ws, port)
    segment, ids = make_segment(stack, base, ws, [{"name": "Ana", "email": "ana@report.example"},
                                                  {"name": "Ivo", "email": "ivo@report.example"}])
    cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Report", "segment_id": segment, "subject": "Hello",
        "body": '<p><a href="https://shop.example/spring">Spring</a> <a href="https://shop.example/stores">Stores</a></p>',
    }).json()["id"]
    assert ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"]).status_code == 200
    wait_status(base, ws, cid, "sent")
    # Delivered a minute ago: the clicks below are people's, not a scanner's first look.
    sql(stack, f"UPDATE campaign_messages SET sent_at = sent_at - INTERVAL 60 SECOND WHERE campaign_id = {cid}")
    links = {}
    for rcpt, raw in sink.received():
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        html = next(p.get_content() for p in msg.iter_parts() if p.get_content_type() == "text/html")
        hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+/t/c/[^"]+)"', html)]
        pixel = re.search(r'src="([^"]+/t/o/[^"]+)"', html).group(1).replace("&amp;", "&")
        links[rcpt] = {"spring": hrefs[0], "stores": hrefs[1], "pixel": pixel}
    anon = new_session()
    person = {"User-Agent": BROWSER}
    ana, ivo = links["ana@report.example"], links["ivo@report.example"]
    for url in [ana["pixel"], ana["spring"], ana["spring"], ana["stores"], ivo["pixel"], ivo["pixel"], ivo["spring"]]:
        assert anon.get(url, headers=person, allow_redirects=False).status_code in (200, 302)
    # A scanner's click is no click.
    assert anon.get(ivo["stores"], headers={"User-Agent": "python-requests/2.31"}, allow_redirects=False).status_code == 302

    r = ws["http"].get(f"{base}/v1/campaigns/{cid}/report", headers=ws["auth"])
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["campaign_id"] == cid and report["interval"] == "hour"
    assert report["links"] == [
        {"url": "https://shop.example/spring", "clicks": 3, "unique_clicks": 2, "human_clicks": 3},
        {"url": "https://shop.example/stores", "clicks": 1, "unique_clicks": 1, "human_clicks": 1},
    ]
    assert report["totals"] == {"opens": 3, "clicks": 4}
    assert sum(p["opens"] for p in report["series"]) == 3 and sum(p["clicks"] for p in report["series"]) == 4
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00:00Z", p["at"]) for p in report["series"])
    # The same figures as the stored engagements say, by day.
    by_day = ws["http"].get(f"{base}/v1/campaigns/{cid}/report", headers=ws["auth"], params={"interval": "day"}).json()
    assert by_day["interval"] == "day" and by_day["totals"] == report["totals"]
    assert by_day["series"][-1]["at"].endswith("T00:00:00Z")
    stored = sql(stack, f"SELECT COUNT(*) FROM campaign_engagements WHERE campaign_id = {cid} AND kind = 'click'").strip()
    assert stored == "5"  # the scanner's click is stored, and left out of the report

    bad = ws["http"].get(f"{base}/v1/campaigns/{cid}/report", headers=ws["auth"], params={"interval": "minute"})
    assert bad.status_code == 422 and "interval" in bad.json()["errors"]
    assert other["http"].get(f"{base}/v1/campaigns/{cid}/report", headers=other["auth"]).status_code == 404
    # A campaign nobody opened has an empty report.
    draft = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Empty", "segment_id": segment, "subject": "Hi", "body": "<p>Hi</p>"}).json()["id"]
    empty = ws["http"].get(f"{base}/v1/campaigns/{draft}/report", headers=ws["auth"]).json()
    assert empty["links"] == [] and empty["series"] == [] and empty["totals"] == {"opens": 0, "clicks": 0}


def bare_segment(stack, ws: dict, name: str) -> int:
    sql(stack, f"INSERT INTO segments (tenant_id, name, created_at, updated_at) VALUES ({ws['tenant']}, '{name}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    return int(sql(stack, f"SELECT id FROM segments WHERE tenant_id = {ws['tenant']} AND name = '{name}'").strip())


def test_segment_used_by_names_its_campaigns_and_automations(stack, base: str) -> None:
    ws = register(base, "127.0.0.243")
    other = register(base, "127.0.0.244")
    segment, unused = (bare_segment(stack, ws, name) for name in ["Vip", "Nobody"])
    made = []
    for name in ["First", "Second"]:
        r = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
            "name": name, "segment_id": segment, "subject": "Hi", "body": "<p>Hi</p>"})
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Elsewhere", "segment_id": unused, "subject": "Hi", "body": "<p>Hi</p>"})
    trigger = ws["http"].post(f"{base}/v1/automations", headers=ws["auth"], json={
        "name": "On entry", "trigger_type": "segment_entered", "trigger_config": {"segment_id": segment}})
    assert trigger.status_code == 201, trigger.text
    condition = ws["http"].post(f"{base}/v1/automations", headers=ws["auth"], json={
        "name": "Asks", "trigger_type": "customer_created", "design": {
            "nodes": [{"id": "1", "type": "trigger", "data": {}}, {"id": "2", "type": "condition", "data": {"filters": {"in_segment": segment}}},
                      {"id": "3", "type": "exit", "data": {}}, {"id": "4", "type": "exit", "data": {}}],
            "edges": [{"id": "a", "source": "1", "target": "2"}, {"id": "b", "source": "2", "target": "3", "sourceHandle": "yes"},
                      {"id": "c", "source": "2", "target": "4", "sourceHandle": "no"}]}})
    assert condition.status_code == 201, condition.text
    ws["http"].post(f"{base}/v1/automations", headers=ws["auth"], json={"name": "Unrelated", "trigger_type": "customer_created"})

    r = ws["http"].get(f"{base}/v1/segments/{segment}", headers=ws["auth"])
    assert r.status_code == 200, r.text
    used = r.json()["used_by"]
    assert [c["id"] for c in used["campaigns"]] == made and {c["status"] for c in used["campaigns"]} == {"draft"}
    assert [a["name"] for a in used["automations"]] == ["On entry", "Asks"]
    assert ws["http"].get(f"{base}/v1/segments/{unused}", headers=ws["auth"]).json()["used_by"] == {
        "campaigns": [{"id": made[-1] + 1, "name": "Elsewhere", "status": "draft"}], "automations": []}
    # A campaign deleted no longer counts.
    assert ws["http"].delete(f"{base}/v1/campaigns/{made[0]}", headers=ws["auth"]).status_code == 200
    assert len(ws["http"].get(f"{base}/v1/segments/{segment}", headers=ws["auth"]).json()["used_by"]["campaigns"]) == 1
    assert other["http"].get(f"{base}/v1/segments/{segment}", headers=other["auth"]).status_code == 404


def test_a_draft_keeps_its_problems_and_is_refused_activation(base: str) -> None:
    ws = register(base, "127.0.0.245")
    other = register(base, "127.0.0.246")
    aid = ws["http"].post(f"{base}/v1/automations", headers=ws["auth"], json={
        "name": "Half drawn", "trigger_type": "customer_created"}).json()["id"]
    design = {"nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 0, "y": 0}},
                        {"id": "2", "type": "action", "data": {"action": "send_email"}, "position": {"x": 0, "y": 120}},
                        {"id": "3", "type": "delay", "data": {}, "position": {"x": 300, "y": 120}}],
              "edges": [{"id": "a", "source": "1", "target": "2"}]}
    # The complete save refuses it, as before.
    refused = ws["http"].post(f"{base}/v1/automations/{aid}/design", headers=ws["auth"], json=design)
    assert refused.status_code == 422
    r = ws["http"].post(f"{base}/v1/automations/{aid}/draft", headers=ws["auth"], json=design)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["saved"] is True and answer["draft"] is True
    assert set(answer["problems"]) == {"nodes.2", "nodes.3"} and answer["problems_count"] >= 2
    assert "send_email" in " ".join(answer["problems"]["nodes.2"])
    detail = ws["http"].get(f"{base}/v1/automations/{aid}", headers=ws["auth"]).json()
    assert detail["draft"]["nodes"] == design["nodes"] and detail["draft"]["problems"] == answer["problems"]
    assert detail["design"]["nodes"] == [] and detail["is_active"] is False

    act = ws["http"].post(f"{base}/v1/automations/{aid}/activate", headers=ws["auth"])
    assert act.status_code == 422, act.text
    assert set(act.json()["errors"]) == {"nodes.2", "nodes.3"} and "draft" in act.json()["message"]
    assert ws["http"].get(f"{base}/v1/automations/{aid}", headers=ws["auth"]).json()["is_active"] is False

    # Fixed and saved as the design: the draft is gone and the flow activates.
    fixed = {"nodes": [design["nodes"][0], {"id": "2", "type": "action", "data": {"action": "add_tag", "tag": "new"}, "position": {"x": 0, "y": 120}}],
             "edges": design["edges"]}
    assert ws["http"].post(f"{base}/v1/automations/{aid}/design", headers=ws["auth"], json=fixed).status_code == 200
    assert ws["http"].get(f"{base}/v1/automations/{aid}", headers=ws["auth"]).json()["draft"] is None
    assert ws["http"].post(f"{base}/v1/automations/{aid}/activate", headers=ws["auth"]).status_code == 200

    # Only the shape is refused; another workspace's automation is not found.
    shape = ws["http"].post(f"{base}/v1/automations/{aid}/draft", headers=ws["auth"], json={"nodes": "none"})
    assert shape.status_code == 422 and "nodes" in shape.json()["errors"]
    assert other["http"].post(f"{base}/v1/automations/{aid}/draft", headers=other["auth"], json=design).status_code == 404
    # A draft on an active flow leaves it running, and holds off a re-activation only.
    assert ws["http"].post(f"{base}/v1/automations/{aid}/draft", headers=ws["auth"], json=design).status_code == 200
    live = ws["http"].get(f"{base}/v1/automations/{aid}", headers=ws["auth"]).json()
    assert live["is_active"] is True and [n["id"] for n in live["design"]["nodes"]] == ["1", "2"]


def test_the_preview_is_byte_for_byte_the_html_sent(stack, base: str, smtp) -> None:
    """What the console's preview frame is given (POST /v1/campaigns/{id}/preview for a
    customer) is the HTML part of the message that customer received over SMTP, byte for
    byte; before sending, a sample or an unsaved edit is composed by the same sender."""
    sink, port = smtp
    ws = register(base, "127.0.0.247")
    other = register(base, "127.0.0.248")
    use_smtp(base, ws, port)
    segment, ids = make_segment(stack, base, ws, [{"name": "Žana <Kovač>", "email": "zana@preview.example", "city": "Split"}])
    body = ('<div style="background:#fef3c7;padding:24px"><h1 style="color:#b45309">Hi {{first_name|there}} from {{city}}</h1>'
            '<p><a href="https://shop.example/sale?a=1&amp;b=2" style="color:#fff;background:#b45309">Shop</a> '
            '<a href="javascript:alert(1)">bad</a></p></div>')
    cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Preview", "segment_id": segment, "subject": "Sale for {{name}}", "body": body}).json()["id"]
    draft = ws["http"].post(f"{base}/v1/campaigns/{cid}/preview", headers=ws["auth"], json={})
    assert draft.status_code == 200, draft.text
    sample = draft.json()
    assert sample["as_sent"] is False and sample["customer"] is None
    assert "Hi Alex from Lisbon" in sample["html"] and 'style="color:#b45309"' in sample["html"]
    assert 'href="#"' in sample["html"] and "javascript:" not in sample["html"]  # the sender's rule, not the console's
    edited = ws["http"].post(f"{base}/v1/campaigns/{cid}/preview", headers=ws["auth"],
                             json={"customer_id": ids[0], "subject": "Unsaved {{city}}", "body": "<p>{{name}}</p>"}).json()
    assert edited["subject"] == "Unsaved Split" and edited["html"].startswith("<p>Žana &lt;Kovač&gt;</p>")

    assert ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"]).status_code == 200
    wait_status(base, ws, cid, "sent")
    raw = next(m for rcpt, m in sink.received() if rcpt == "zana@preview.example")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = next(p for p in msg.iter_parts() if p.get_content_type() == "text/html")
    sent_bytes = part.get_payload(decode=True)
    r = ws["http"].post(f"{base}/v1/campaigns/{cid}/preview", headers=ws["auth"], json={"customer_id": ids[0]})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["as_sent"] is True and preview["customer"]["id"] == ids[0]
    assert preview["html"].encode("utf-8") == sent_bytes
    assert preview["subject"] == str(msg["Subject"])

    bad = ws["http"].post(f"{base}/v1/campaigns/{cid}/preview", headers=ws["auth"], json={"customer_id": 0})
    assert bad.status_code == 422 and "customer_id" in bad.json()["errors"]
    theirs = other["http"].post(f"{base}/v1/customers", headers=other["auth"], json={"name": "X", "email": "x@other.example"}).json()["id"]
    assert ws["http"].post(f"{base}/v1/campaigns/{cid}/preview", headers=ws["auth"], json={"customer_id": theirs}).status_code == 422
    assert other["http"].post(f"{base}/v1/campaigns/{cid}/preview", headers=other["auth"], json={}).status_code == 404
