"""Saved views and bulk actions in the console (issue 25 parts 3 and 5): save the filtered
customer list as a view, reopen it from its tab (the address names it) and after a reload;
select all the customers a filter matches and add a tag to them in bulk, confirmed with the
count; at 1280 and at 390 px."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

PHONE = (390, 844)
WIDE = (1280, 900)


def arrange(api, tag: str, n: int = 30) -> str:
    """`n` customers of a city of their own, and two elsewhere."""
    city = f"Viewtown {tag}"
    for i in range(n):
        api.request("POST", "/v1/customers", {"name": f"Vera {tag} {i:02d}", "email": f"vera{i}-{tag}@views.test", "city": city}, expect=201)
    for i in range(2):
        api.request("POST", "/v1/customers", {"name": f"Other {tag} {i}", "email": f"other{i}-{tag}@views.test", "city": "Split"}, expect=201)
    return city


def rows(c) -> list:
    return c.driver.find_elements(By.CSS_SELECTOR, "table.table-customers tbody tr")


@pytest.mark.parametrize("size", [WIDE, PHONE], ids=["1280", "390"])
def test_save_and_reopen_a_view(api, account, console_factory, size) -> None:
    tag = uuid.uuid4().hex[:6]
    city = arrange(api, tag, n=3)
    c = console_factory(size)
    c.sign_in_with_token(account["token"], "/customers")
    c.go(f"/customers?city={city.replace(' ', '%20')}")
    c.wait().until(lambda d: len(rows(c)) == 3)
    c.clickable("[data-action='save-view']").click()
    dialog = c.dialog()
    dialog.find_element(By.NAME, "name").send_keys(f"Viewtown {tag}")
    dialog.find_element(By.NAME, "shared").click()
    c.shot("save-view-dialog")
    dialog.find_element(By.CSS_SELECTOR, "[data-action='confirm']").click()
    c.toast("Saved the view")
    c.wait().until(lambda d: "view=" in d.current_url)
    views = api.request("GET", "/v1/views?list=customers", expect=200)["data"]
    view = next(v for v in views if v["name"] == f"Viewtown {tag}")
    assert view["shared"] is True and view["filters"] == {"city": city}, view
    c.wait().until(lambda d: len(rows(c)) == 3)
    active = c.find(".view-tab.is-active")
    assert active.text == f"Viewtown {tag}"

    # Back to All: every customer; then the tab again: the view's filter.
    c.find(".view-tab[data-view-id='']").click()
    c.wait().until(lambda d: len(rows(c)) == 5)
    c.find(f".view-tab[data-view-id='{view['id']}']").click()
    c.wait().until(lambda d: len(rows(c)) == 3 and f"view={view['id']}" in d.current_url)
    c.shot("view-open", full_page=True)
    # A reload keeps it; the address names the view.
    c.driver.refresh()
    c.wait_ready()
    c.wait().until(lambda d: len(rows(c)) == 3)
    assert c.find(".view-tab.is-active").text == f"Viewtown {tag}"
    c.assert_no_horizontal_overflow("the customer list with its views")

    # Rename it, then delete it: the list goes back to All.
    c.clickable("[data-action='rename-view']").click()
    name = c.dialog().find_element(By.NAME, "name")
    name.clear()
    name.send_keys(f"Renamed {tag}")
    c.dialog().find_element(By.CSS_SELECTOR, "[data-action='confirm']").click()
    c.wait().until(lambda d: c.find(".view-tab.is-active").text == f"Renamed {tag}")
    assert api.request("GET", f"/v1/views/{view['id']}", expect=200)["name"] == f"Renamed {tag}"
    c.clickable("[data-action='delete-view']").click()
    c.dialog().find_element(By.CSS_SELECTOR, "[data-action='confirm']").click()
    c.toast("Deleted the view")
    c.wait().until(lambda d: len(rows(c)) == 5)
    api.request("GET", f"/v1/views/{view['id']}", expect=404)


@pytest.mark.parametrize("size", [WIDE, PHONE], ids=["1280", "390"])
def test_bulk_tag_on_a_filter(api, account, console_factory, size) -> None:
    tag = uuid.uuid4().hex[:6]
    city = arrange(api, tag, n=30)
    label = f"Spring {tag}"
    c = console_factory(size)
    c.sign_in_with_token(account["token"], "/customers")
    c.go(f"/customers?city={city.replace(' ', '%20')}&per_page=10")
    c.wait().until(lambda d: len(rows(c)) == 10)
    # The header row's box; on a phone the list is cards, and "Select this page" above them.
    c.clickable("input[data-select-page]" if size == WIDE else "input[data-select-page-mobile]").click()
    c.find(".bulk-bar:not([hidden])")
    assert "10 customers selected" in c.find(".bulk-count").text
    c.clickable("[data-action='select-all-matching']").click()
    c.wait().until(lambda d: "All 30 customers matching" in c.find(".bulk-count").text)
    c.shot("bulk-bar", full_page=False)
    c.clickable("[data-bulk='add_tags']").click()
    dialog = c.dialog()
    dialog.find_element(By.NAME, "tag").send_keys(label)
    dialog.find_element(By.CSS_SELECTOR, "[data-action='continue']").click()
    c.wait().until(lambda d: "30 customers" in c.dialog().text)
    confirm = c.dialog()
    assert f"Add the tag “{label}” to 30 customers?" in confirm.text
    c.shot("bulk-confirm", full_page=False)
    confirm.find_element(By.CSS_SELECTOR, "[data-action='confirm']").click()
    c.toast("Tagged 30 customers")
    tagged = api.request("GET", f"/v1/customers?tag={label.replace(' ', '%20')}&per_page=100", expect=200)
    assert tagged["meta"]["total"] == 30
    assert all(x["city"] == city for x in tagged["data"])
    c.wait().until(lambda d: label in (c.find("table.table-customers tbody").text))
    c.shot("bulk-done", full_page=False)


@pytest.mark.parametrize("size", [WIDE, PHONE], ids=["1280", "390"])
def test_deals_table_move_selected_to_a_stage_and_save_a_view(api, account, console_factory, size) -> None:
    crm = lambda method, path, body=None: api.request(method, f"/api/brands/{account['tenant']['id']}/crm{path}", body)  # noqa: E731
    crm("POST", "/entities", {"name": "Deals", "slug": "deals", "preset": "deals"})
    entity = crm("GET", "/entities/deals")
    pipeline = entity["pipelines"][0]
    first, last = pipeline["stages"][0], pipeline["stages"][-1]
    made = [crm("POST", "/entities/deals/entries", {"title": f"Deal {i}", "pipeline_id": pipeline["id"], "stage_id": first["id"], "tags": ["Q3"] if i < 2 else []})
            for i in range(3)]
    c = console_factory(size)
    c.sign_in_with_token(account["token"], "/pipelines/deals/table")
    c.wait().until(lambda d: len(c.find_all(".crm-table tbody tr")) == 3)
    assert "Q3" in c.find(f".crm-table tbody tr[data-entry-id='{made[0]['id']}']").text
    for entry in made[:2]:
        c.clickable(f"input[data-select-row='{entry['id']}']").click()
    assert "2 deals selected" in c.find(".bulk-count").text
    c.clickable("[data-bulk='move_stage']").click()
    dialog = c.dialog()

    Select(dialog.find_element(By.NAME, "stage_id")).select_by_value(str(last["id"]))
    dialog.find_element(By.CSS_SELECTOR, "[data-action='continue']").click()
    c.wait().until(lambda d: f"Move 2 deals to {last['name']}?" in c.dialog().text)
    c.shot("move-confirm", full_page=False)
    c.dialog().find_element(By.CSS_SELECTOR, "[data-action='confirm']").click()
    c.wait().until(lambda d: [crm("GET", f"/entries/{e['id']}")["stage_id"] for e in made] == [last["id"], last["id"], first["id"]])

    # A view of the tagged deals: saved from the filtered address, reopened from its tab.
    c.go("/pipelines/deals/table?tag=Q3")
    c.wait().until(lambda d: len(c.find_all(".crm-table tbody tr")) == 2)
    c.clickable("[data-action='save-view']").click()
    c.dialog().find_element(By.NAME, "name").send_keys("Q3 deals")
    c.dialog().find_element(By.CSS_SELECTOR, "[data-action='confirm']").click()
    c.toast("Saved the view")
    c.go("/pipelines/deals/table")
    c.wait().until(lambda d: len(c.find_all(".crm-table tbody tr")) == 3)
    c.find(".view-tab:not([data-view-id=''])").click()
    c.wait().until(lambda d: len(c.find_all(".crm-table tbody tr")) == 2 and "tag=Q3" in d.current_url)
    assert c.find(".view-tab.is-active").text == "Q3 deals"
    c.assert_no_horizontal_overflow("the deals table with its views")
    c.shot("deals-view", full_page=True)


def test_tags_in_the_customer_form_and_profile(api, account, desktop) -> None:
    c = desktop
    customer = api.request("POST", "/v1/customers", {"name": "Tina Tagged", "email": f"tina-{uuid.uuid4().hex[:6]}@views.test", "tags": ["VIP"]}, expect=201)
    c.sign_in_with_token(account["token"], f"/customers/{customer['id']}/edit")
    box = c.find("input[name='tags']")
    c.wait().until(lambda d: box.get_attribute("value") == "VIP")
    box.clear()
    box.send_keys("VIP, Newsletter ,  newsletter")
    c.click("Save changes")
    c.wait_route(f"/customers/{customer['id']}")
    c.wait().until(lambda d: "Newsletter" in c.find(".profile-tags").text)
    c.shot("profile-tags")
    assert api.request("GET", f"/v1/customers/{customer['id']}", expect=200)["tags"] == ["Newsletter", "VIP"]


def test_set_a_field_on_selected_customers(api, account, desktop) -> None:
    tag = uuid.uuid4().hex[:6]
    city = arrange(api, tag, n=3)
    c = desktop
    c.sign_in_with_token(account["token"], "/customers")
    c.go(f"/customers?city={city.replace(' ', '%20')}")
    c.wait().until(lambda d: len(rows(c)) == 3)
    c.clickable("input[data-select-page]").click()
    c.clickable("[data-bulk='set_field']").click()
    dialog = c.dialog()
    Select(dialog.find_element(By.NAME, "field")).select_by_value("country")
    dialog.find_element(By.NAME, "value").send_keys("HR")
    dialog.find_element(By.CSS_SELECTOR, "[data-action='continue']").click()
    c.wait().until(lambda d: "Set Country to “HR” for 3 customers?" in c.dialog().text)
    c.dialog().find_element(By.CSS_SELECTOR, "[data-action='confirm']").click()
    c.toast("Set Country to “HR” for 3 customers")
    got = api.request("GET", f"/v1/customers?city={city.replace(' ', '%20')}&country=HR", expect=200)
    assert got["meta"]["total"] == 3
