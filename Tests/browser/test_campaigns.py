"""Campaigns in the console: the empty list, the editor (segment picker with the audience
size, live preview in a sandboxed iframe), the campaign page before and after sending to the
development mailbox (progress, figures, funnel, recipients), and the mailbox viewer."""

from __future__ import annotations

import os
import pathlib
import subprocess
import time
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

ROOT = pathlib.Path(__file__).resolve().parents[2]


def sql(statement: str) -> str:
    run_dir = os.environ.get("ENTERCRM_RUN_DIR", str(ROOT / ".run" / "test"))
    script = os.environ.get("ENTERCRM_STACK", str(ROOT / "scripts" / "stack.sh"))
    done = subprocess.run([script, "db-shell", "-N", "-e", statement], env=dict(os.environ, RUN_DIR=run_dir),
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def segment_of(api, tenant: int, people: list[dict]) -> int:
    ids = [api.request("POST", "/v1/customers", p, expect=201)["id"] for p in people]
    name = f"VIP {uuid.uuid4().hex[:6]}"
    sql(f"INSERT INTO segments (tenant_id, name, created_at, updated_at) VALUES ({tenant}, '{name}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    segment = int(sql(f"SELECT id FROM segments WHERE tenant_id = {tenant} AND name = '{name}'").strip())
    sql("INSERT INTO segment_members (segment_id, customer_id, tenant_id, added_at) VALUES "
        + ", ".join(f"({segment}, {i}, {tenant}, UTC_TIMESTAMP(6))" for i in ids))
    return segment


def test_campaign_editor_send_and_mailbox(api, account, desktop) -> None:
    tenant = account["tenant"]["id"]
    segment = segment_of(api, tenant, [
        {"name": "Ana Kovač", "email": f"ana-{uuid.uuid4().hex[:6]}@browser.test", "city": "Zagreb"},
        {"name": "Marko Horvat", "email": f"marko-{uuid.uuid4().hex[:6]}@browser.test", "city": "Split"},
        {"name": "No Email"},
    ])
    c = desktop
    c.sign_in_with_token(account["token"], "/campaigns")
    c.wait_heading("Campaigns")
    assert "No campaigns yet" in c.find(".state-empty").text
    c.shot("empty list")

    c.find('[data-action="new-campaign"]').click()
    c.wait_route("/campaigns/new")
    c.find('input[name="name"]').send_keys("Spring Sale <b>")
    Select(c.find('select[name="segment_id"]')).select_by_value(str(segment))
    c.wait().until(lambda d: "2 of 3 members" in c.find(".audience-size").text)
    c.find('input[name="subject"]').send_keys("Hello {{first_name}}")
    c.find('[data-mode="html"]').click()
    body = c.find('textarea[name="body"]')
    body.clear()
    body.send_keys('<h1>Hi {{name}}</h1><p>Spring is <em>here</em>.</p><p><a href="https://shop.example/spring">Shop</a></p>')
    frame = c.find("iframe.campaign-preview")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    c.wait().until(lambda d: "Hi Alex Sample" in c.frame_text(frame))
    c.shot("editor with preview")
    c.find('.campaign-form button[type="submit"]').click()
    c.wait().until(lambda d: c.route().startswith("/campaigns/") and c.route().split("/")[-1].isdigit())
    c.wait_heading("Spring Sale <b>")
    campaign_id = int(c.route().split("/")[-1])
    c.shot("draft")

    c.find('[data-action="send"]').click()
    assert c.find("dialog[open] .modal-title").text == "Send to 2 customers now?"
    c.click("Send to 2 customers", "dialog[open]")
    c.wait().until(lambda d: "sent" == d.find_element(By.CSS_SELECTOR, ".campaign-status").text.strip())
    c.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".table-messages tbody tr")) == 2)
    statuses = [e.text for e in c.find_all(".table-messages .message-status")]
    assert statuses == ["sent", "sent"]
    assert c.find('.funnel-step[data-step="delivered"] .funnel-value').text.startswith("2")
    c.shot("sent")

    detail = api.request("GET", f"/v1/campaigns/{campaign_id}", expect=200)
    assert detail["status"] == "sent" and detail["total_sent"] == 2

    c.go("/campaigns/mailbox")
    c.wait_heading("Development mailbox")
    c.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".link-button")) >= 2)
    assert {e.text for e in c.find_all(".mailbox-to")} >= {"Ana Kovač", "Marko Horvat"} or any(
        "Ana Kovač <ana-" in e.text for e in c.find_all(".mailbox-to")), "the recipients' encoded names are decoded"
    c.find_all(".link-button")[0].click()
    viewer = c.find("iframe.mailbox-frame")
    c.wait().until(lambda d: "Hi " in c.frame_text(viewer))
    # The message opens beside the list, not below it.
    listed, shown = c.find(".mailbox-list").rect, c.find(".mailbox-viewer").rect
    assert shown["x"] >= listed["x"] + listed["width"] and abs(shown["y"] - listed["y"]) < 40, (listed, shown)
    summary = c.find(".mail-summary").text
    assert "Kovač" in summary or "Horvat" in summary, summary
    assert "=?UTF-8?" not in summary
    assert not c.button_present("Back to the list"), "beside the list, there is no way back to show"
    c.find(".mail-all-headers summary").click()
    assert "List-Unsubscribe" in c.find(".mail-headers").text
    c.shot("mailbox")

    c.go("/campaigns")
    c.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".table-campaigns tbody tr")) == 1)
    assert "Spring Sale <b>" in c.find(".table-campaigns").text
    c.shot("list")


def test_campaign_pages_fit_a_phone(api, account, mobile) -> None:
    tenant = account["tenant"]["id"]
    segment = segment_of(api, tenant, [{"name": "Petra Babić", "email": f"petra-{uuid.uuid4().hex[:6]}@browser.test"}])
    campaign = api.request("POST", "/v1/campaigns", {"name": "Autumn newsletter with a long enough name", "segment_id": segment,
                                                      "subject": "Autumn", "body": "<h1>Autumn</h1>"}, expect=201)
    api.request("POST", f"/v1/campaigns/{campaign['id']}/send", expect=200)
    c = mobile
    c.sign_in_with_token(account["token"], "/campaigns")
    c.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".table-campaigns tbody tr")) == 1)
    c.assert_no_horizontal_overflow("/campaigns")
    c.shot("list")
    c.go(f"/campaigns/{campaign['id']}")
    c.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, ".campaign-status").text.strip() == "sent")
    c.assert_no_horizontal_overflow("campaign")
    c.shot("campaign")
    c.go("/campaigns/new")
    c.wait_heading("New campaign")
    c.assert_no_horizontal_overflow("editor")
    c.shot("editor")

    # The mailbox: the message below the list on a phone, scrolled into view, its headers decoded.
    c.go("/campaigns/mailbox")
    c.wait_heading("Development mailbox")
    c.find(".table-mailbox .link-button").click()
    viewer = c.find("iframe.mailbox-frame")
    c.wait().until(lambda d: "Autumn" in c.frame_text(viewer))
    c.wait().until(lambda d: d.execute_script(
        "const r = document.querySelector('.mailbox-viewer').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight / 2"))
    assert "Petra Babić" in c.find(".mail-summary").text
    c.assert_no_horizontal_overflow("mailbox")
    c.shot("mailbox message")
    c.click("Back to the list")
    c.wait().until(lambda d: d.execute_script(
        "const r = document.querySelector('.table-mailbox tr[aria-current]').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight"))
    assert c.driver.switch_to.active_element.text == "Autumn"


def test_mailbox_decodes_encoded_words(desktop, account) -> None:
    """RFC 2047: B and Q encodings, any charset, adjacent words joined (also across a split
    character), unknown charsets left as they came."""
    c = desktop
    c.sign_in_with_token(account["token"], "/campaigns/mailbox")
    decoded = c.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import('/js/pages/campaign-mailbox.js').then((m) => done([
          m.decodeWords('=?UTF-8?B?SMOpbGxv?= =?UTF-8?B?IHfDtnJsZA==?= <a@example.com>'),
          m.decodeWords('=?utf-8?Q?Caf=C3=A9_au_lait?= and =?ISO-8859-1?Q?Andr=E9?='),
          m.decodeWords('=?UTF-8?B?4o?=\\r\\n =?UTF-8?B?gqw=?= plain =?x-unknown?Q?abc?='),
          m.headerFields('Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\\r\\n =?UTF-8?B?IGF1cyBXaWVu?=\\r\\nTo: <b@example.com>\\r\\n\\r\\nbody'),
        ]), (error) => done(String(error)));
    """)
    assert decoded == [
        "Héllo wörld <a@example.com>",
        "Café au lait and André",
        "€ plain =?x-unknown?Q?abc?=",
        [["Subject", "Grüße aus Wien"], ["To", "<b@example.com>"]],
    ], decoded
