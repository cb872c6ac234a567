"""Associations in the console: on an entry, link a customer and a company found by name, see them
listed and counted on the kanban card; on the customer's profile, the entry with its stage."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By

from .test_console_pipelines import crm

PHONE = (390, 844)


@pytest.mark.parametrize("size", [(1280, 900), PHONE], ids=["1280", "390"])
def test_link_a_customer_to_an_entry(console_factory, api, account, size) -> None:
    api.token = account["token"]
    tag = uuid.uuid4().hex[:6]
    person = api.request("POST", "/v1/customers", {"name": f"Lorna Linkmore{tag}", "email": f"ll-{tag}@example.test"}, expect=201)
    company = api.request("POST", "/v1/companies", {"name": f"Linkmore{tag} Ltd", "domain": f"linkmore{tag}.example"}, expect=201)
    crm(api, account, "POST", "/entities", {"name": "Deals", "slug": "deals", "preset": "deals"}, expect=201)
    entity = crm(api, account, "GET", "/entities/deals", expect=200)
    entry = crm(api, account, "POST", "/entities/deals/entries", {
        "title": f"Linkmore{tag} deal", "pipeline_id": entity["pipelines"][0]["id"],
        "stage_id": entity["pipelines"][0]["stages"][0]["id"]}, expect=201)

    c = console_factory(size)
    c.sign_in_with_token(account["token"], f"/pipelines/deals/entries/{entry['id']}")
    c.wait_heading(f"Linkmore{tag} deal")
    assert "No customer or company is linked" in c.find(".card-links").text
    c.find(".card-links input[name='link-customer']").send_keys(f"Linkmore{tag}")
    c.wait().until(lambda d: c.find_all(f".link-result[data-customer-id='{person['id']}']"))
    c.find(f".link-result[data-customer-id='{person['id']}']").click()
    c.wait().until(lambda d: c.find_all(f".card-links .link-item[data-customer-id='{person['id']}']"))
    assert api.request("GET", f"/api/brands/{account['tenant']['id']}/crm/entries/{entry['id']}", expect=200)["customer_ids"] == [person["id"]]
    # A company is found and linked the same way.
    c.find(".card-links input[name='link-customer']").send_keys(f"Linkmore{tag} Ltd")
    c.wait().until(lambda d: c.find_all(f".link-result[data-company-id='{company['id']}']"))
    c.find(f".link-result[data-company-id='{company['id']}']").click()
    c.wait().until(lambda d: c.find_all(f".card-links .link-item[data-company-id='{company['id']}']"))
    linked = api.request("GET", f"/api/brands/{account['tenant']['id']}/crm/entries/{entry['id']}", expect=200)
    assert (linked["customer_ids"], linked["company_ids"]) == ([person["id"]], [company["id"]])
    assert c.find(f".card-links .link-item[data-company-id='{company['id']}'] a").get_attribute("href").endswith(f"#/companies/{company['id']}")
    c.assert_no_horizontal_overflow("entry with a linked customer")
    c.shot("entry with a linked customer")

    c.go("/pipelines/deals/board")
    c.wait_ready()
    c.wait().until(lambda d: c.find_all(f".kanban-card[data-entry-id='{entry['id']}'] .card-people[data-linked='2']"))

    c.go(f"/customers/{person['id']}")
    c.wait_heading(f"Lorna Linkmore{tag}")
    c.wait().until(lambda d: c.find_all(f".card-entries .link-item[data-entry-id='{entry['id']}']"))
    item = c.find(f".card-entries .link-item[data-entry-id='{entry['id']}']")
    assert entity["pipelines"][0]["stages"][0]["name"] in item.text
    c.shot("customer with the linked deal")

    # Unlink from the entry.
    c.go(f"/pipelines/deals/entries/{entry['id']}")
    c.wait_heading(f"Linkmore{tag} deal")
    c.find(".card-links .link-remove").click()
    c.wait().until(lambda d: len(c.find_all(".card-links .link-item")) == 1)
    c.find(".card-links .link-remove").click()
    c.wait().until(lambda d: "No customer or company is linked" in c.find(".card-links").text)
