"""Issue 23 part 4, first-time flows in the console, at 1280 and 390 px: an automation made
with its segment chosen by name, opening on its trigger; a half-drawn flow saved as a draft
with its problems listed, then refused activation; node labels wrapped inside their boxes; a
campaign started from a saved template, edited in the visual mode with the live preview
following; a sent campaign's report (clicks per link, over time) against the API; the
segment delete confirmation naming what uses it."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from .support import DESKTOP
from .test_campaigns import sql

PHONE = (390, 844)
SIZES = [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="390")]


def tap(c, text: str, within: str = "body") -> None:
    """Clicks a button in the middle of the screen (on a phone the top bar covers the top)."""
    button = c.button(text, within)
    c.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def segment(api, name: str) -> dict:
    return api.request("POST", "/v1/segments", {"name": name, "filters": {"purchase_count_min": 1}}, expect=201)


@pytest.mark.parametrize("size", SIZES)
def test_automation_segment_by_name_trigger_in_place_and_a_draft(size, console_factory, account, api) -> None:
    api.token = account["token"]
    tag = uuid.uuid4().hex[:4]
    segment(api, f"Lapsed {tag}")
    vip = segment(api, f"VIP buyers {tag}")
    c = console_factory(size)
    c.allow_log(r"/design - Failed to load resource: the server responded with a status of 422")
    c.allow_log(r"/activate - Failed to load resource: the server responded with a status of 422")
    c.sign_in_with_token(account["token"], "/automations")
    c.wait_heading("Automations")
    c.find('[data-action="new-automation"]').click()
    dialog = c.dialog()
    dialog.find_element(By.NAME, "name").send_keys("Welcome the VIPs")
    # Only the chosen trigger's settings show; the segment is picked by its name.
    assert not c.find_all("dialog[open] [name='segment_id']")
    Select(dialog.find_element(By.NAME, "trigger_type")).select_by_value("segment_entered")
    picker = Select(c.find("dialog[open] select[name='segment_id']"))
    c.wait().until(lambda d: any(o.text.startswith(f"VIP buyers {tag}") for o in picker.options))
    assert not c.find_all("dialog[open] input[name='segment_id']")
    picker.select_by_visible_text(next(o.text for o in picker.options if o.text.startswith(f"VIP buyers {tag}")))
    c.shot("segment chosen by name")
    c.click("Create automation", "dialog[open]")
    c.wait_heading("Welcome the VIPs")
    made = int(c.route().split("/")[-1])
    assert api.request("GET", f"/v1/automations/{made}", expect=200)["trigger_config"] == {"segment_id": vip["id"]}

    # The designer opens on the trigger, selected, its segment shown by name in the panel.
    c.find("g.flow-node.selected[data-node='1'][data-type='trigger']")
    shown = Select(c.find(".flow-panel select[name='segment_id']"))
    c.wait().until(lambda d: shown.first_selected_option.text.startswith(f"VIP buyers {tag}"))
    c.shot("designer opens on its trigger")
    c.assert_no_horizontal_overflow("designer")

    # A step not configured nor connected, with a long label: saved as a draft, problems listed.
    c.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", c.find(".flow-palette-item[data-action='send_email']"))
    c.find(".flow-palette-item[data-action='send_email']").click()
    c.find("g.flow-node[data-node='2']")
    label = c.find(".flow-panel input[name='label']")
    label.clear()
    label.send_keys("Send the welcome email with the VIP discount code and the store map")
    c.driver.execute_script("arguments[0].dispatchEvent(new Event('change'))", label)
    box = c.find("g.flow-node[data-node='2'] rect.flow-node-box").rect
    title = c.find("g.flow-node[data-node='2'] .flow-node-title")
    inner = title.rect
    assert "store map" in title.get_attribute("textContent")
    lines = c.driver.execute_script("const e = arguments[0]; return Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight));", title)
    assert lines == 2, lines
    assert inner["x"] >= box["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"] + 0.5, (inner, box)
    assert inner["y"] >= box["y"] and inner["y"] + inner["height"] <= box["y"] + box["height"] + 0.5, (inner, box)
    tap(c, "Save draft")
    c.toast("Draft saved with")
    problems = c.find(".flow-problems")
    items = [li.text for li in problems.find_elements(By.CSS_SELECTOR, "li")]
    assert problems.find_element(By.CSS_SELECTOR, "h2").text.startswith(f"{len(items)} problem")
    assert any("Action 2 (send_email): give a subject and a body" in t for t in items), items
    c.find("g.flow-node.invalid[data-node='2']")
    c.shot("draft with its problems")
    draft = api.request("GET", f"/v1/automations/{made}", expect=200)["draft"]
    assert [n["id"] for n in draft["nodes"]] == ["1", "2"] and "nodes.2" in draft["problems"]

    # Reopened, the draft comes back with its problems; activating is refused.
    c.driver.refresh()
    c.wait_heading("Welcome the VIPs")
    c.find("g.flow-node.invalid[data-node='2']")
    assert "draft" in c.find(".flow-draft-note").text
    tap(c, "Activate")
    c.toast("Not activated: the flow has problems to fix first")
    assert c.find(".badge").text == "Inactive"
    assert api.request("GET", f"/v1/automations/{made}", expect=200)["is_active"] is False
    c.shot("activation refused")


@pytest.mark.parametrize("size", SIZES)
def test_campaign_from_a_template_in_visual_mode_with_the_preview_following(size, console_factory, account, api) -> None:
    api.token = account["token"]
    tag = uuid.uuid4().hex[:4]
    template = api.request("POST", "/v1/email-templates", {
        "key": f"spring-{tag}", "name": f"Spring letter {tag}", "subject": "Spring for {{first_name|you}}",
        "body_html": '<div style="padding:16px;background:#ecfdf5"><h1 style="color:#047857">Hello {{first_name|there}}</h1>'
                     '<p>Our spring collection is in.</p></div>'}, expect=201)
    target = segment(api, f"Spring list {tag}")
    c = console_factory(size)
    c.sign_in_with_token(account["token"], "/campaigns/new")
    c.wait_heading("New campaign")
    c.find('input[name="name"]').send_keys(f"Spring {tag}")
    Select(c.find('select[name="segment_id"]')).select_by_value(str(target["id"]))
    Select(c.find('select[name="template"]')).select_by_value(str(template["id"]))
    c.toast(f"Started from the template “Spring letter {tag}”")
    assert c.find('input[name="subject"]').get_attribute("value") == "Spring for {{first_name|you}}"
    # The visual mode is on; the preview is the server's composition for a sample recipient.
    assert c.find('[data-mode="visual"]').get_attribute("aria-pressed") == "true"
    preview = c.find("iframe.campaign-preview")
    c.wait().until(lambda d: "Hello Alex" in c.frame_text(preview) and "collection is in" in c.frame_text(preview))
    colour = c.in_frame(preview, "return getComputedStyle(document.querySelector('h1')).color")
    assert colour == "rgb(4, 120, 87)", colour  # the inline style applies in the preview
    c.shot("started from a template")

    editor = c.find("iframe.email-editor-frame")
    c.driver.switch_to.frame(editor)
    try:
        paragraph = c.driver.find_element(By.CSS_SELECTOR, "p")
        paragraph.click()
        paragraph.send_keys(Keys.END, " Free shipping this week.")
        # Select the word "collection" and make it bold.
        c.driver.execute_script("""
            const p = document.querySelector('p'); const text = p.firstChild; const at = text.data.indexOf('collection');
            const range = document.createRange(); range.setStart(text, at); range.setEnd(text, at + 'collection'.length);
            const s = getSelection(); s.removeAllRanges(); s.addRange(range);""")
    finally:
        c.driver.switch_to.default_content()
    c.find('.email-editor-toolbar [data-tool="bold"]').click()
    c.wait().until(lambda d: "Free shipping this week." in c.frame_text(preview))
    # A button at the end, through the toolbar's dialog.
    c.driver.switch_to.frame(editor)
    try:
        c.driver.execute_script("""
            const p = document.querySelector('p'); const r = document.createRange(); r.selectNodeContents(p); r.collapse(false);
            const s = getSelection(); s.removeAllRanges(); s.addRange(r);""")
    finally:
        c.driver.switch_to.default_content()
    c.find('.email-editor-toolbar [data-tool="button"]').click()
    c.fill({"url": "https://shop.example/spring", "text": "Shop the collection"}, "dialog[open]")
    c.click("Insert button", "dialog[open]")
    c.wait().until(lambda d: "Shop the collection" in c.frame_text(preview))
    c.shot("edited in the visual mode, preview following")

    c.find('[data-mode="html"]').click()
    html = c.find('textarea[name="body"]').get_attribute("value")
    assert "<b>collection</b>" in html or "<strong>collection</strong>" in html, html
    assert 'href="https://shop.example/spring"' in html and "Shop the collection" in html
    assert 'style="color:#047857"' in html  # the template's inline styles survive the visual mode
    c.find('.campaign-form button[type="submit"]').click()
    c.wait().until(lambda d: c.route().split("/")[-1].isdigit())
    saved = api.request("GET", f"/v1/campaigns/{c.route().split('/')[-1]}", expect=200)
    assert saved["body"] == html and saved["subject"] == "Spring for {{first_name|you}}"
    c.assert_no_horizontal_overflow("campaign page")


@pytest.mark.parametrize("size", SIZES)
def test_campaign_report_shows_clicks_per_link(size, console_factory, account, api) -> None:
    api.token = account["token"]
    tenant = account["tenant"]["id"]
    ids = [api.request("POST", "/v1/customers", {"name": f"R{i}", "email": f"r{i}-{uuid.uuid4().hex[:6]}@report.test"}, expect=201)["id"]
           for i in range(3)]
    campaign = api.request("POST", "/v1/campaigns", {"name": "Report letter", "subject": "Hi", "body": "<p>Hi</p>"}, expect=201)["id"]
    # A sent campaign with known engagements, as the tracking links record them.
    sql(f"UPDATE campaigns SET status = 'sent', sent_at = UTC_TIMESTAMP(6) - INTERVAL 1 DAY WHERE id = {campaign}")
    sql("INSERT INTO campaign_messages (tenant_id, campaign_id, customer_id, address, token, status, next_attempt_at, sent_at) VALUES "
        + ", ".join(f"({tenant}, {campaign}, {i}, 'x{i}@report.test', '{uuid.uuid4().hex[:24]}', 'clicked', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) - INTERVAL 1 DAY)" for i in ids))
    clicks = [(0, "https://shop.example/a", 2), (1, "https://shop.example/a", 1), (2, "https://shop.example/b", 1), (2, "https://shop.example/c", 3)]
    for who, url, hours in clicks:
        sql(f"""INSERT INTO campaign_engagements (tenant_id, campaign_id, message_id, kind, classification, url, created_at)
                SELECT {tenant}, {campaign}, id, 'click', 'human', '{url}', UTC_TIMESTAMP(6) - INTERVAL {hours} HOUR
                FROM campaign_messages WHERE campaign_id = {campaign} AND customer_id = {ids[who]}""")
        sql(f"""INSERT INTO campaign_engagements (tenant_id, campaign_id, message_id, kind, classification, created_at)
                SELECT {tenant}, {campaign}, id, 'open', 'human', UTC_TIMESTAMP(6) - INTERVAL {hours + 1} HOUR
                FROM campaign_messages WHERE campaign_id = {campaign} AND customer_id = {ids[who]}""")
    report = api.request("GET", f"/v1/campaigns/{campaign}/report", expect=200)
    c = console_factory(size)
    c.sign_in_with_token(account["token"], f"/campaigns/{campaign}")
    c.wait_heading("Report letter")
    rows = c.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, ".table-report-links tbody tr"))
    shown = [[td.get_attribute("textContent").strip() for td in r.find_elements(By.TAG_NAME, "td")] for r in rows]
    assert shown == [[l["url"], str(l["clicks"]), str(l["unique_clicks"])] for l in report["links"]]
    assert shown[0] == ["https://shop.example/a", "2", "2"] and len(shown) == 3
    assert c.find("[data-testid='report-totals']").text == "4 opens and 4 clicks in all, by hour."
    canvas = c.find(".report-chart canvas")
    c.wait().until(lambda d: d.execute_script("return !!window.Chart || arguments[0].width > 0", canvas))
    c.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    c.shot("report with clicks per link")
    c.assert_no_horizontal_overflow("campaign report")


def test_segment_delete_confirmation_names_campaigns_and_automations(console_factory, account, api) -> None:
    api.token = account["token"]
    tag = uuid.uuid4().hex[:4]
    vip = segment(api, f"VIP {tag}")
    for name in ("Spring", "Autumn"):
        api.request("POST", "/v1/campaigns", {"name": name, "segment_id": vip["id"], "subject": name, "body": "<p>Hi</p>"}, expect=201)
    api.request("POST", "/v1/automations", {"name": "Greet VIPs", "trigger_type": "segment_entered",
                                             "trigger_config": {"segment_id": vip["id"]}}, expect=201)
    for size in (DESKTOP, PHONE):
        c = console_factory(size)
        c.sign_in_with_token(account["token"], f"/segments/{vip['id']}")
        c.wait_heading(f"VIP {tag}")
        c.find('[data-action="delete"]').click()
        dialog = c.dialog()
        assert dialog.find_element(By.CSS_SELECTOR, ".modal-title").text == f"Delete the segment VIP {tag} (used by 2 campaigns and 1 automation)?"
        assert "Greet VIPs will no longer find it." in dialog.text
        c.shot("delete names what uses it")
        c.click("Cancel", "dialog[open]")
        c.wait_no_dialog()
    assert api.request("GET", f"/v1/segments/{vip['id']}", expect=200)["id"] == vip["id"]
