"""Search everywhere: the command palette (Ctrl+K, or the top bar's button) finds a customer
and a CRM entry as you type, moves with the arrows and opens the chosen one with Enter."""

from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .test_console_pipelines import crm


def options(c):
    return c.find_all("dialog[open] .palette-option")


def test_the_palette_finds_a_customer_and_an_entry(desktop, account, api):
    api.token = account["token"]
    tag = uuid.uuid4().hex[:6]
    person = api.request("POST", "/v1/customers", {"name": f"Zebulon Quist{tag}", "email": f"zq-{tag}@example.test"}, expect=201)
    crm(api, account, "POST", "/entities", {"name": "Deals", "slug": "deals", "preset": "deals"}, expect=201)
    entity = crm(api, account, "GET", "/entities/deals", expect=200)
    entry = crm(api, account, "POST", "/entities/deals/entries", {
        "title": f"Quist{tag} renewal", "pipeline_id": entity["pipelines"][0]["id"],
        "stage_id": entity["pipelines"][0]["stages"][0]["id"], "values": {"amount": 900},
    }, expect=201)

    c = desktop
    c.sign_in_with_token(account["token"], "/customers")
    c.wait_ready()
    # Ctrl+K opens it from anywhere, focused on its field.
    c.find("body").send_keys(Keys.CONTROL, "k")
    field = c.find("dialog[open] input.palette-input")
    assert c.driver.switch_to.active_element == field
    field.send_keys(f"quist{tag}")
    c.wait().until(lambda d: len(options(c)) == 2)
    kinds = [o.get_attribute("data-type") for o in options(c)]
    assert kinds == ["customer", "entry"], kinds
    assert options(c)[0].get_attribute("aria-selected") == "true"
    assert f"Zebulon Quist{tag}" in options(c)[0].text and f"zq-{tag}@example.test" in options(c)[0].text
    c.shot("palette with a customer and an entry")

    # Down, then Enter: the entry opens.
    field.send_keys(Keys.ARROW_DOWN)
    assert options(c)[1].get_attribute("aria-selected") == "true"
    field.send_keys(Keys.ENTER)
    c.wait_no_dialog()
    c.wait().until(lambda d: d.execute_script("return location.hash") == f"#/pipelines/deals/entries/{entry['id']}")
    c.wait_heading(f"Quist{tag} renewal")

    # The top bar's button opens it too; Enter opens the first result.
    c.find("[data-action='search']").click()
    field = c.find("dialog[open] input.palette-input")
    field.send_keys(f"zq-{tag}")
    c.wait().until(lambda d: len(options(c)) == 1)
    field.send_keys(Keys.ENTER)
    c.wait_no_dialog()
    c.wait_heading(f"Zebulon Quist{tag}")
    assert c.driver.execute_script("return location.hash") == f"#/customers/{person['id']}"

    # Nothing found says so; Escape closes.
    c.find("[data-action='search']").click()
    field = c.find("dialog[open] input.palette-input")
    field.send_keys("qqqzzzxxx")
    c.wait().until(lambda d: "Nothing found" in c.find("dialog[open] .palette-status").text)
    field.send_keys(Keys.ESCAPE)
    c.wait_no_dialog()


def test_the_search_button_on_a_phone(mobile, account, api):
    c = mobile
    c.sign_in_with_token(account["token"], "/customers")
    c.wait_ready()
    button = c.find("[data-action='search']")
    assert button.get_attribute("aria-label") == "Search everything"
    button.click()
    c.find("dialog[open] input.palette-input").send_keys("nobody-here")
    c.wait().until(lambda d: "Nothing found" in c.find("dialog[open] .palette-status").text)
    c.assert_no_horizontal_overflow("palette")
    c.shot("palette on a phone")


def test_a_note_found_opens_the_record_it_is_about(desktop, account, api):
    api.token = account["token"]
    tag = uuid.uuid4().hex[:6]
    crm(api, account, "POST", "/entities", {"name": "Deals", "slug": "deals", "preset": "deals"}, expect=None)
    entity = crm(api, account, "GET", "/entities/deals", expect=200)
    entry = crm(api, account, "POST", "/entities/deals/entries", {
        "title": f"Numbat{tag} rollout", "pipeline_id": entity["pipelines"][0]["id"],
        "stage_id": entity["pipelines"][0]["stages"][0]["id"]}, expect=201)
    api.request("POST", "/v1/notes", {"subject_type": "entry", "subject_id": entry["id"],
                                      "body": f"Procurement wants the wallaby{tag} clause removed."}, expect=201)

    c = desktop
    c.sign_in_with_token(account["token"], "/customers")
    c.wait_ready()
    c.find("body").send_keys(Keys.CONTROL, "k")
    field = c.find("dialog[open] input.palette-input")
    field.send_keys(f"wallaby{tag}")
    c.wait().until(lambda d: len(options(c)) == 1)
    option = options(c)[0]
    assert option.get_attribute("data-type") == "note"
    assert f"wallaby{tag} clause" in option.text and f"Note on Numbat{tag} rollout" in option.text, option.text
    c.shot("palette with a note")
    field.send_keys(Keys.ENTER)
    c.wait_no_dialog()
    c.wait().until(lambda d: d.execute_script("return location.hash") == f"#/pipelines/deals/entries/{entry['id']}")
    c.wait_heading(f"Numbat{tag} rollout")
