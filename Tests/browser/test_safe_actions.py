"""Safe actions in the console: one confirmation dialog before anything irreversible or sent
to many (naming what happens: how many customers a send reaches, what uses a segment), undo
for ten seconds after a deletion, a warning before leaving unsaved changes, and the API's
validation errors beside their fields, scrolled into view."""

from __future__ import annotations

import time
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .test_campaigns import segment_of

PHONE = (390, 844)


def confirm_dialog(c):
    dialog = c.find("dialog[open].modal-confirm")
    return dialog, dialog.find_element(By.CSS_SELECTOR, ".modal-title").text


def draft_with_audience(api, account, reachable: int = 2) -> dict:
    api.token = account["token"]
    people = [{"name": f"Reachable {i}", "email": f"r{i}-{uuid.uuid4().hex[:6]}@browser.test"} for i in range(reachable)]
    segment = segment_of(api, account["tenant"]["id"], people + [{"name": "No Address"}])
    return api.request("POST", "/v1/campaigns", {"name": "Spring sale", "segment_id": segment, "subject": "Spring",
                                                  "body": "<h1>Spring</h1>"}, expect=201)


def test_send_asks_first_naming_the_count(api, account, desktop) -> None:
    campaign = draft_with_audience(api, account, reachable=2)
    c = desktop
    c.sign_in_with_token(account["token"], f"/campaigns/{campaign['id']}")
    c.wait_heading("Spring sale")

    send = c.find('[data-action="send"]')
    send.click()
    dialog, title = confirm_dialog(c)
    assert title == "Send to 2 customers now?", title
    assert dialog.get_attribute("aria-labelledby")
    assert [b.text for b in dialog.find_elements(By.CSS_SELECTOR, ".modal-footer .button")] == ["Cancel", "Send to 2 customers"]
    c.shot("send confirmation")
    # Cancel sends nothing, and focus goes back to the button that asked.
    c.click("Cancel", "dialog[open]")
    c.wait_no_dialog()
    assert c.driver.switch_to.active_element.get_attribute("data-action") == "send"
    # Escape cancels too.
    c.find('[data-action="send"]').click()
    confirm_dialog(c)
    c.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    c.wait_no_dialog()
    time.sleep(1)
    detail = api.request("GET", f"/v1/campaigns/{campaign['id']}", expect=200)
    assert detail["status"] == "draft" and detail["total_sent"] == 0, detail

    # Confirmed, it sends.
    c.find('[data-action="send"]').click()
    confirm_dialog(c)
    c.click("Send to 2 customers", "dialog[open]")
    c.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, ".campaign-status").text.strip() == "sent")
    assert api.request("GET", f"/v1/campaigns/{campaign['id']}", expect=200)["total_sent"] == 2
    c.shot("sent")


def test_send_confirmation_fits_a_phone(api, account, console_factory) -> None:
    campaign = draft_with_audience(api, account, reachable=1)
    c = console_factory(PHONE)
    c.sign_in_with_token(account["token"], f"/campaigns/{campaign['id']}")
    c.wait_heading("Spring sale")
    c.find('[data-action="send"]').click()
    dialog, title = confirm_dialog(c)
    assert title == "Send to 1 customer now?", title
    rect = dialog.rect
    assert rect["x"] >= 0 and rect["x"] + rect["width"] <= PHONE[0], rect
    for button in dialog.find_elements(By.CSS_SELECTOR, ".modal-footer .button"):
        b = button.rect
        assert b["x"] >= rect["x"] and b["x"] + b["width"] <= rect["x"] + rect["width"], (b, rect)
    c.assert_no_horizontal_overflow("send confirmation")
    c.shot("send confirmation")
    c.click("Cancel", "dialog[open]")
    c.wait_no_dialog()
    assert api.request("GET", f"/v1/campaigns/{campaign['id']}", expect=200)["status"] == "draft"

    # The undo toast fits too, and its Undo takes a tap.
    c.find("[data-action='delete']").click()
    confirm_dialog(c)
    c.click("Delete campaign", "dialog[open]")
    c.wait_route("/campaigns")
    undo = c.button("Undo", "#toasts")
    toast = c.find("#toasts .toast-with-action").rect
    assert toast["x"] >= 0 and toast["x"] + toast["width"] <= PHONE[0], toast
    c.assert_no_horizontal_overflow("undo toast")
    c.shot("undo toast")
    undo.click()
    c.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-campaign-id='{campaign['id']}']"))


def segment_exists(api, segment_id: int) -> bool:
    response = api.http.get(f"{api.base}/v1/segments/{segment_id}", headers={"Authorization": f"Bearer {api.token}"}, timeout=30)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def delete_segment_from_its_page(c, segment: dict) -> str:
    c.go(f"/segments/{segment['id']}")
    c.wait_heading(segment["name"])
    c.find('[data-action="delete"]').click()
    _, title = confirm_dialog(c)
    c.click("Delete segment", "dialog[open]")
    c.wait_route("/segments")
    return title


def segment_rows(c) -> list[str]:
    return [e.get_attribute("data-segment-id") for e in c.find_all(".segments-table tr[data-segment-id]")]


def test_delete_asks_and_can_be_undone(api, account, desktop) -> None:
    api.token = account["token"]
    tag = uuid.uuid4().hex[:4]
    vip = api.request("POST", "/v1/segments", {"name": f"VIP {tag}", "filters": {"purchase_count_min": 3}}, expect=201)
    lapsed = api.request("POST", "/v1/segments", {"name": f"Lapsed {tag}", "filters": {"rfm_score_min": 5}}, expect=201)
    dormant = api.request("POST", "/v1/segments", {"name": f"Dormant {tag}", "filters": {"clv_total_min": 1000}}, expect=201)
    for name in ("Spring", "Autumn"):
        api.request("POST", "/v1/campaigns", {"name": name, "segment_id": vip["id"], "subject": name, "body": "<p>Hi</p>"}, expect=201)

    c = desktop
    c.sign_in_with_token(account["token"], "/segments")
    c.wait().until(lambda d: str(vip["id"]) in segment_rows(c))

    # The question names the segment and what uses it; Undo brings it back and sends nothing.
    title = delete_segment_from_its_page(c, vip)
    assert title == f"Delete the segment VIP {tag} (used by 2 campaigns)?", title
    c.wait().until(lambda d: str(vip["id"]) not in segment_rows(c))
    c.toast(f"Deleted the segment “VIP {tag}”.")
    c.shot("deleted with undo")
    c.click("Undo", "#toasts")
    c.wait().until(lambda d: str(vip["id"]) in segment_rows(c))
    c.toast("Kept the segment")
    c.shot("undone")
    time.sleep(11)
    c.driver.refresh()
    c.wait_ready()
    c.wait().until(lambda d: str(vip["id"]) in segment_rows(c))
    assert segment_exists(api, vip["id"])

    # Not undone: the DELETE goes when the console goes to another page...
    delete_segment_from_its_page(c, lapsed)
    assert segment_exists(api, lapsed["id"]), "nothing is sent within the undo window"
    c.find('.nav-link[href="#/customers"]').click()
    c.wait_route("/customers")
    c.wait().until(lambda d: not segment_exists(api, lapsed["id"]))

    # ...or when the ten seconds end.
    delete_segment_from_its_page(c, dormant)
    assert str(dormant["id"]) not in segment_rows(c)
    time.sleep(5)
    assert segment_exists(api, dormant["id"])
    c.wait(12).until(lambda d: not segment_exists(api, dormant["id"]))
    c.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#toasts .toast-with-action"))
    c.shot("deleted for good")

    # ...or when the page unloads (a keepalive request on pagehide).
    delete_segment_from_its_page(c, vip)
    assert segment_exists(api, vip["id"])
    c.driver.refresh()
    c.wait_ready()
    c.wait().until(lambda d: not segment_exists(api, vip["id"]))


def test_a_failed_delete_puts_the_row_back(api, account, desktop) -> None:
    api.token = account["token"]
    tag = uuid.uuid4().hex[:4]
    base = api.request("POST", "/v1/segments", {"name": f"Buyers {tag}", "filters": {"purchase_count_min": 1}}, expect=201)
    api.request("POST", "/v1/segments", {"name": f"Buyers in HR {tag}", "filters": {"in_segment": base["id"], "country": "HR"}}, expect=201)
    c = desktop
    c.allow_log(r"/v1/segments/\d+ - Failed to load resource: the server responded with a status of 409")
    c.sign_in_with_token(account["token"], "/segments")
    delete_segment_from_its_page(c, base)
    assert str(base["id"]) not in segment_rows(c)
    c.wait(14).until(lambda d: str(base["id"]) in segment_rows(c))
    c.toast(f"Could not delete the segment “Buyers {tag}”")
    c.shot("delete refused, row back")
    assert segment_exists(api, base["id"])


def test_unsaved_changes_warn_before_leaving(account, desktop) -> None:
    c = desktop
    c.sign_in_with_token(account["token"], "/email-templates/new")
    c.wait_heading("New email template")
    # Untouched, the console leaves without asking.
    c.find('.nav-link[href="#/customers"]').click()
    c.wait_route("/customers")
    c.go("/email-templates/new")
    c.wait_heading("New email template")

    c.find('input[name="name"]').send_keys("Half-written")
    c.find('.nav-link[href="#/customers"]').click()
    dialog, title = confirm_dialog(c)
    assert title == "Leave without saving?"
    c.shot("unsaved warning")
    c.click("Stay on this page", "dialog[open]")
    c.wait_no_dialog()
    assert c.route() == "/email-templates/new"
    assert c.heading() == "New email template"
    assert c.find('input[name="name"]').get_attribute("value") == "Half-written"

    # Leaving discards.
    c.find('.nav-link[href="#/segments"]').click()
    confirm_dialog(c)
    c.click("Leave and discard", "dialog[open]")
    c.wait_route("/segments")
    c.wait_heading("Segments")
    # The page's unload asks as well (the browser's own dialog): its handler is armed only with changes.
    c.go("/campaigns/new")
    c.wait_heading("New campaign")
    c.find('input[name="name"]').send_keys("Draft")
    assert c.driver.execute_script(
        "const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented")


def test_a_validation_error_shows_beside_its_field_in_view(account, desktop) -> None:
    c = desktop
    c.allow_log(r"/v1/email-templates - Failed to load resource: the server responded with a status of 422")
    c.sign_in_with_token(account["token"], "/email-templates/new")
    c.wait_heading("New email template")
    c.fill({"name": "Bad key", "key": "Not A Slug", "subject": "Hello"})
    body = c.find('textarea[name="body_html"]')
    body.send_keys(Keys.END + "\n<p>" + "More lines.\n" * 40 + "</p>")
    c.driver.execute_script("scrollTo(0, document.documentElement.scrollHeight)")
    c.find('.template-form button[type="submit"]').click()
    key_field = c.find('.field[data-field="key"].has-error')
    error = key_field.find_element(By.CSS_SELECTOR, ".field-error")
    assert "lowercase" in error.text.lower(), error.text
    c.wait().until(lambda d: d.switch_to.active_element.get_attribute("name") == "key")
    c.wait().until(lambda d: d.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight", key_field))
    assert c.find('input[name="key"]').get_attribute("aria-invalid") == "true"
    c.shot("field error in view")


def test_editors_open_without_unsaved_changes(api, account, desktop) -> None:
    """Each tracked editor, untouched, counts as saved: the console moves on without asking."""
    api.token = account["token"]
    segment = api.request("POST", "/v1/segments", {"name": "Buyers", "filters": {"purchase_count_min": 1}}, expect=201)
    campaign = api.request("POST", "/v1/campaigns", {"name": "Clean", "segment_id": segment["id"], "subject": "S", "body": "<p>Hi</p>"}, expect=201)
    template = api.request("POST", "/v1/email-templates", {"name": "Clean", "key": f"clean-{uuid.uuid4().hex[:4]}", "subject": "S",
                                                           "body_html": "<p>Hi</p>"}, expect=201)
    automation = api.request("POST", "/v1/automations", {"name": "Clean flow", "trigger_type": "customer_created"}, expect=201)
    customer = api.request("POST", "/v1/customers", {"name": "Clean Customer", "email": f"clean-{uuid.uuid4().hex[:6]}@browser.test",
                                                     "properties": {"plan": "pro"}}, expect=201)
    routes = ["/campaigns/new", f"/campaigns/{campaign['id']}/edit", "/email-templates/new", f"/email-templates/{template['id']}",
              "/segments/new", f"/segments/{segment['id']}/edit", "/customers/new", f"/customers/{customer['id']}/edit",
              "/campaigns/settings", "/settings/workspace", f"/automations/{automation['id']}"]
    c = desktop
    c.sign_in_with_token(account["token"], "/dashboard")
    for route in routes:
        c.go(route)
        c.wait_route(route)
        time.sleep(0.5)
        dirty = c.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            " import('/js/components/unsaved.js').then((m) => done(m.hasUnsavedChanges()), (e) => done(String(e)))")
        assert dirty is False, f"{route} opens with unsaved changes ({dirty})"
    c.go("/dashboard")
    c.wait_route("/dashboard")
    assert not c.find_all("dialog[open]")


def test_automations_and_entries_deleted_with_undo(api, account, desktop) -> None:
    api.token = account["token"]
    tenant = account["tenant"]["id"]
    flow = api.request("POST", "/v1/automations", {"name": "Welcome flow", "trigger_type": "customer_created"}, expect=201)
    crm = f"/api/brands/{tenant}/crm"
    api.request("POST", f"{crm}/entities", {"name": "Deals", "slug": "deals", "preset": "deals"}, expect=201)
    entity = api.request("GET", f"{crm}/entities/deals", expect=200)
    pipeline = entity["pipelines"][0]
    entry = api.request("POST", f"{crm}/entities/deals/entries", {"title": "Acme renewal", "pipeline_id": pipeline["id"],
                                                                  "stage_id": pipeline["stages"][0]["id"], "values": {"amount": 1200}}, expect=201)
    c = desktop

    # An automation, from its row in the list: Undo puts the row back; left alone, it goes.
    c.sign_in_with_token(account["token"], "/automations")
    c.find(f"tr[data-id='{flow['id']}'] [data-action='delete-automation']").click()
    _, title = confirm_dialog(c)
    assert title == "Delete the automation Welcome flow?", title
    c.click("Delete automation", "dialog[open]")
    c.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"tr[data-id='{flow['id']}']"))
    c.click("Undo", "#toasts")
    c.find(f"tr[data-id='{flow['id']}']")
    c.find(f"tr[data-id='{flow['id']}'] [data-action='delete-automation']").click()
    confirm_dialog(c)
    c.click("Delete automation", "dialog[open]")
    c.toast("Deleted the automation “Welcome flow”.")
    c.wait(14).until(lambda d: api.http.get(f"{api.base}/v1/automations/{flow['id']}", timeout=30,
                                            headers={"Authorization": f"Bearer {api.token}"}).status_code == 404)

    # A CRM entry, from its page: the board leaves it out until Undo.
    c.go(f"/pipelines/deals/entries/{entry['id']}")
    c.wait_heading("Acme renewal")
    c.find("[data-action='delete-entry']").click()
    _, title = confirm_dialog(c)
    assert "Acme renewal" in title, title
    c.click("Delete deal", "dialog[open]")
    c.wait_route("/pipelines/deals/board")
    c.toast("Deleted “Acme renewal”.")
    time.sleep(1)
    assert not c.find_all(f".kanban-card a[href$='/entries/{entry['id']}']")
    c.shot("entry deleted with undo")
    c.click("Undo", "#toasts")
    c.find(f".kanban-card a[href$='/entries/{entry['id']}']")
    assert api.request("GET", f"{crm}/entries/{entry['id']}", expect=200)["title"] == "Acme renewal"


def test_activate_campaign_delete_and_workspace_delete_ask_first(api, account, desktop) -> None:
    api.token = account["token"]
    flow = api.request("POST", "/v1/automations", {"name": "Tagger", "trigger_type": "customer_created"}, expect=201)
    api.request("POST", f"/v1/automations/{flow['id']}/design", {
        "nodes": [{"id": "1", "type": "trigger", "data": {"label": "New customer"}, "position": {"x": 250, "y": 40}},
                  {"id": "2", "type": "action", "data": {"label": "Tag", "action": "add_tag", "tag": "welcomed"}, "position": {"x": 250, "y": 180}}],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}],
    }, expect=200)
    c = desktop

    # Activating: asked after the design is saved, named; Cancel leaves it inactive.
    c.sign_in_with_token(account["token"], f"/automations/{flow['id']}")
    c.wait_heading("Tagger")
    c.click("Activate")
    _, title = confirm_dialog(c)
    assert title == "Activate Tagger?", title
    c.shot("activate confirmation")
    c.click("Cancel", "dialog[open]")
    c.wait_no_dialog()
    assert api.request("GET", f"/v1/automations/{flow['id']}", expect=200)["is_active"] is False
    c.click("Activate")
    confirm_dialog(c)
    c.click("Activate automation", "dialog[open]")
    c.wait().until(lambda d: api.request("GET", f"/v1/automations/{flow['id']}", expect=200)["is_active"] is True)

    # A draft campaign deleted from its page leaves the list at once; leaving the list deletes it.
    draft = api.request("POST", "/v1/campaigns", {"name": "Old draft", "subject": "S", "body": "<p>Hi</p>"}, expect=201)
    c.go(f"/campaigns/{draft['id']}")
    c.wait_heading("Old draft")
    c.find("[data-action='delete']").click()
    _, title = confirm_dialog(c)
    assert title == "Delete the campaign Old draft?", title
    c.click("Delete campaign", "dialog[open]")
    c.wait_route("/campaigns")
    c.toast("Deleted the campaign “Old draft”.")
    assert not c.find_all(f"tr[data-campaign-id='{draft['id']}']")
    assert api.request("GET", f"/v1/campaigns/{draft['id']}", expect=200)["name"] == "Old draft"
    c.go("/segments")
    c.wait().until(lambda d: api.http.get(f"{api.base}/v1/campaigns/{draft['id']}", timeout=30,
                                          headers={"Authorization": f"Bearer {api.token}"}).status_code == 404)

    # Deleting the workspace: the same dialog, its button enabled only by the typed slug; Escape cancels.
    c.go("/settings/workspace")
    c.wait_heading("Workspace")
    c.find("[data-action='delete-workspace']").click()
    dialog, title = confirm_dialog(c)
    assert title == f"Delete the workspace {account['workspace']}?", title
    confirm = dialog.find_element(By.CSS_SELECTOR, "[data-action='confirm']")
    typed = dialog.find_element(By.CSS_SELECTOR, "input")
    assert not confirm.is_enabled()
    typed.send_keys("not-the-slug")
    assert not confirm.is_enabled()
    typed.clear()
    typed.send_keys(account["tenant"]["slug"])
    c.wait().until(lambda d: confirm.is_enabled())
    c.shot("workspace deletion typed")
    typed.send_keys(Keys.ESCAPE)
    c.wait_no_dialog()
    assert c.driver.switch_to.active_element.get_attribute("data-action") == "delete-workspace"
    assert api.request("GET", "/v1/workspace", expect=200)["slug"] == account["tenant"]["slug"]
