"""The pipeline CRM in the console: an entity from a preset, a field added in the designer, an
entry made with the generated form (its validation messages shown), dragged to another
stage on the board (and put back when the API refuses a move), searched in the table, and
its stage history on the entry page."""

from __future__ import annotations

import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select


def crm(api, account, method, path, body=None, expect=None):
    return api.request(method, f"/api/brands/{account['tenant']['id']}/crm{path}", body, expect=expect)


def drag(c, card, column) -> None:
    """Drags with the pointer (press, a few moves, release), as a person would."""
    actions = ActionChains(c.driver, duration=50)
    actions.move_to_element(card).click_and_hold().move_by_offset(12, 4).move_by_offset(12, 4)
    actions.move_to_element(column).move_by_offset(0, 10).release().perform()


def press(c, label: str) -> None:
    """Clicks a button after scrolling it to the middle of the screen, clear of the sticky bar."""
    button = c.button(label)
    c.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def column(c, name: str):
    return c.find(f".kanban-column[data-stage='{name}']")


def card_in(c, stage: str, title: str):
    return c.find(f".kanban-column[data-stage='{stage}'] .kanban-card[data-title='{title}']")


def test_entity_field_entry_drag_and_search(desktop, account, api):
    c = desktop
    c.sign_in_with_token(account["token"], "/pipelines")
    c.wait_heading("Pipelines")
    c.find(".state-empty")
    c.shot("no entities")

    # An entity from the Leads preset.
    c.click("New entity")
    dialog = c.dialog()
    assert dialog.find_element(By.CSS_SELECTOR, "[data-preset='leads'] input").is_selected()
    assert "New Lead" in dialog.find_element(By.CSS_SELECTOR, "[data-preset='leads']").text
    c.shot("new entity from a preset")
    c.click("Create entity", "dialog[open]")
    c.wait_route("/pipelines/leads/board")
    c.wait_heading("Leads")
    names = [e.get_attribute("data-stage") for e in c.find_all(".kanban-column")]
    assert names == ["New Lead", "Contacted", "Qualified", "Closed Won", "Closed Lost"]
    c.shot("empty board")

    # A field, in the designer.
    c.click("Fields & pipelines")
    c.wait_route("/pipelines/leads/settings")
    c.click("Add field")
    dialog = c.dialog()
    c.fill({"name": "Lead Source", "type": "select"}, "dialog[open]")
    assert dialog.find_element(By.CSS_SELECTOR, "[name=key]").get_attribute("value") == "lead_source"
    options = dialog.find_elements(By.CSS_SELECTOR, ".option-input")
    options[0].send_keys("Facebook")
    options[1].send_keys("Google")
    c.click("Add option", "dialog[open]")
    dialog.find_elements(By.CSS_SELECTOR, ".option-input")[2].send_keys("Referral")
    c.shot("add a select field with options")
    c.click("Add field", "dialog[open]")
    c.wait_no_dialog()
    row = c.find(".field-row[data-key='lead_source']")
    assert "Facebook, Google, Referral" in row.text
    c.shot("designer with the new field")

    # An entry, with the form generated from the fields; the API's messages beside them.
    c.click("Board")
    c.wait_route("/pipelines/leads/board")
    c.click("New lead")
    dialog = c.dialog()
    assert dialog.find_elements(By.CSS_SELECTOR, "[name='values.lead_source']"), "the new field is in the form"
    c.click("Create lead", "dialog[open]")
    c.wait().until(lambda d: dialog.find_element(By.CSS_SELECTOR, "[name=title]").get_attribute("aria-invalid") == "true")
    c.fill({"title": "Jane Doe", "values.email": "jane@example.com", "values.phone": "call me maybe"}, "dialog[open]")
    Select(dialog.find_element(By.CSS_SELECTOR, "[name='values.lead_source']")).select_by_value("Google")
    c.allow_log(r"status of 422")
    c.click("Create lead", "dialog[open]")
    error = c.find("dialog[open] .field[data-field='values.phone'] .field-error")
    assert "valid phone number" in error.text
    c.shot("entry form with the API's message")
    phone = dialog.find_element(By.CSS_SELECTOR, "[name='values.phone']")
    phone.clear()
    phone.send_keys("+385 91 555 0101")
    c.click("Create lead", "dialog[open]")
    c.wait_no_dialog()
    card = card_in(c, "New Lead", "Jane Doe")
    assert "jane@example.com" in card.text and "Google" in card.text
    c.wait().until(lambda d: column(c, "New Lead").find_element(By.CSS_SELECTOR, "[data-role=count]").text == "1")
    c.shot("board with the new card")

    # Drag it to Qualified: moved through the API.
    drag(c, card, column(c, "Qualified"))
    c.toast("moved to Qualified")
    card_in(c, "Qualified", "Jane Doe")
    c.wait().until(lambda d: column(c, "Qualified").find_element(By.CSS_SELECTOR, "[data-role=count]").text == "1")
    assert column(c, "New Lead").find_element(By.CSS_SELECTOR, "[data-role=count]").text == "0"
    entries = crm(api, account, "GET", "/entities/leads/entries", expect=200)["data"]
    qualified = next(s for s in crm(api, account, "GET", "/entities/leads", expect=200)["pipelines"][0]["stages"] if s["name"] == "Qualified")
    assert entries[0]["stage_id"] == qualified["id"]
    c.shot("dragged to Qualified")

    # The API refuses a move to a stage deleted meanwhile: the card goes back, with a message.
    contacted = next(s for s in crm(api, account, "GET", "/entities/leads", expect=200)["pipelines"][0]["stages"] if s["name"] == "Contacted")
    crm(api, account, "DELETE", f"/stages/{contacted['id']}", expect=200)
    drag(c, card_in(c, "Qualified", "Jane Doe"), column(c, "Contacted"))
    c.toast("stays in Qualified")
    card_in(c, "Qualified", "Jane Doe")
    assert not column(c, "Contacted").find_elements(By.CSS_SELECTOR, ".kanban-card")
    assert column(c, "Qualified").find_element(By.CSS_SELECTOR, "[data-role=count]").text == "1"
    c.shot("move refused and rolled back")

    # More entries through the API, then search and filter in the table.
    for title, source in (("John Roe", "Facebook"), ("Janet Smith", "Referral"), ("Ivo Babić", "Facebook")):
        crm(api, account, "POST", "/entities/leads/entries", {
            "title": title, "pipeline_id": entries[0]["pipeline_id"], "stage_id": entries[0]["stage_id"], "values": {"lead_source": source},
        }, expect=201)
    c.click("Table")
    c.wait_route("/pipelines/leads/table")
    c.wait().until(lambda d: len(c.find_all(".crm-table tbody tr")) == 4)
    c.shot("table")
    search = c.find("input[type=search]")
    search.send_keys("jan")
    c.wait().until(lambda d: "q=jan" in c.route())
    c.wait_ready()
    c.wait().until(lambda d: sorted(e.text for e in c.find_all(".crm-table .entry-link")) == ["Jane Doe", "Janet Smith"])
    c.shot("search jan")
    Select(c.find("select[data-filter='values[lead_source]']")).select_by_value("Referral")
    c.wait().until(lambda d: [e.text for e in c.find_all(".crm-table .entry-link")] == ["Janet Smith"])
    assert c.find("[data-role=total]").text == "1 entry"
    c.shot("search and filter")
    c.click("Clear filters")
    c.wait().until(lambda d: len(c.find_all(".crm-table tbody tr")) == 4)

    # The entry page, with its stage history.
    c.click("Jane Doe")
    c.wait_heading("Jane Doe")
    history = c.find(".card-history").text
    assert "Moved from New Lead to Qualified" in history and "Created in New Lead" in history
    c.shot("entry with its history")


def test_the_board_fits_a_phone(mobile, account, api):
    c = mobile
    crm(api, account, "POST", "/entities", {"name": "Deals", "slug": "deals", "preset": "deals"}, expect=201)
    entity = crm(api, account, "GET", "/entities/deals", expect=200)
    stages = entity["pipelines"][0]["stages"]
    for i, (title, amount) in enumerate((("Acme renewal", 12000), ("Globex pilot", 4800), ("Initech expansion", 31000))):
        crm(api, account, "POST", "/entities/deals/entries", {
            "title": title, "pipeline_id": entity["pipelines"][0]["id"], "stage_id": stages[i]["id"],
            "values": {"amount": amount, "close_date": "2025-06-30", "probability": 50},
        }, expect=201)
    c.sign_in_with_token(account["token"], "/pipelines/deals/board")
    c.wait_heading("Deals")
    c.wait().until(lambda d: column(c, "Prospecting").find_element(By.CSS_SELECTOR, "[data-role=count]").text == "1")
    assert "Amount" in column(c, "Prospecting").find_element(By.CSS_SELECTOR, "[data-role=sum]").text
    c.assert_no_horizontal_overflow("board")
    c.shot("deals board on a phone")
    c.go("/pipelines/deals/table")
    c.wait_ready()
    c.wait().until(lambda d: len(c.find_all(".crm-table tbody tr")) == 3)
    c.assert_no_horizontal_overflow("table")
    c.shot("deals table on a phone")
    c.go("/pipelines/deals/settings")
    c.wait_ready()
    c.find(".stage-row")
    c.assert_no_horizontal_overflow("designer")
    c.shot("designer on a phone")
    time.sleep(0.2)


def test_the_designer_reorders_by_dragging_and_edits_stages(desktop, account, api):
    c = desktop
    crm(api, account, "POST", "/entities", {"name": "Deals", "slug": "deals", "preset": "deals"}, expect=201)
    c.sign_in_with_token(account["token"], "/pipelines/deals/settings")
    c.wait_heading("Deals")
    c.find(".stage-row")
    c.shot("designer")

    # Drag the last stage (Closed Lost) to the top by its handle.
    rows = c.find_all(".stage-row")
    assert [r.get_attribute("data-stage") for r in rows][-1] == "Closed Lost"
    handle = rows[-1].find_element(By.CSS_SELECTOR, ".drag-handle")
    actions = ActionChains(c.driver, duration=50)
    actions.move_to_element(handle).click_and_hold().move_by_offset(0, -10)
    actions.move_to_element(rows[0]).move_by_offset(0, -12).release().perform()
    c.toast("Stage order saved")
    stages = crm(api, account, "GET", "/entities/deals", expect=200)["pipelines"][0]["stages"]
    assert [s["name"] for s in stages][:2] == ["Closed Lost", "Prospecting"]

    # Fields: the arrow buttons move one down.
    press(c, "Move Amount down")
    c.toast("Field order saved")
    fields = crm(api, account, "GET", "/entities/deals/fields", expect=200)
    assert [f["key"] for f in fields][:2] == ["close_date", "amount"]

    # Rename and recolour a stage, add one.
    c.wait().until(lambda d: c.find_all(".stage-row")[1].get_attribute("data-stage") == "Prospecting")
    name = c.find(".stage-row[data-stage='Prospecting'] .inline-input")
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys("Discovery\n")
    c.toast("Discovery saved")
    c.driver.execute_script(
        "const i = arguments[0]; i.value = '#f97316'; i.dispatchEvent(new Event('change', {bubbles: true}))",
        c.find(".stage-row[data-stage='Prospecting'] .color-input"))
    c.wait().until(lambda d: any(s["color"] == "#f97316" for s in crm(api, account, "GET", "/entities/deals", expect=200)["pipelines"][0]["stages"]))
    form = c.find(".stage-add")
    form.find_element(By.CSS_SELECTOR, "[name=stage-name]").send_keys("Legal review")
    press(c, "Add stage")
    c.find(".stage-row[data-stage='Legal review']")
    stages = crm(api, account, "GET", "/entities/deals", expect=200)["pipelines"][0]["stages"]
    assert stages[1]["name"] == "Discovery" and stages[-1]["name"] == "Legal review"
    c.shot("designer after reordering and editing")
