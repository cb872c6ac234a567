"""Companies in the console (issue 24): create a company through its form (a field error
first, then the API's own: a domain taken), link a customer to it from the customer's form
(the company picker, the owner picker), see it on both profiles, find it in the list
(search, "my companies"), delete one with confirmation and undo; at 1280 and at 390 px."""

from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

PHONE = (390, 844)


def company_id_from_route(c) -> int:
    c.wait().until(lambda d: c.route().startswith("/companies/") and c.route().split("/")[2].isdigit())
    return int(c.route().split("/")[2])


def test_create_a_company_link_a_customer_and_see_both_profiles(api, account, console_factory) -> None:
    api.token = account["token"]
    tag = uuid.uuid4().hex[:6]
    domain = f"adriatic-{tag}.hr"
    customer = api.request("POST", "/v1/customers", {"name": "Marta Horvat", "email": f"marta@{domain}", "city": "Zagreb", "country": "HR"},
                           expect=201)
    other = api.request("POST", "/v1/companies", {"name": f"Other {tag}", "domain": f"other-{tag}.com"}, expect=201)
    c = console_factory()
    c.sign_in_with_token(account["token"], "/companies")
    c.wait_heading("Companies")
    c.shot("list")

    # The form: a name is needed; then the API's own field error (a domain taken).
    c.click("New company")
    c.wait_route("/companies/new")
    c.click("Create company")
    c.find(".field[data-field='name'].has-error")
    c.fill({"name": f"Adriatic Logistics {tag}", "domain": f"https://www.other-{tag}.com/contact", "industry": "Logistics",
            "country": "hr", "city": "Zagreb"}, within=".company-form")
    Select(c.find(".company-form [name='size']")).select_by_value("201-500")
    c.wait().until(lambda d: c.find(".company-form [name='owner_id']").get_attribute("data-loaded") == "true")
    Select(c.find(".company-form [name='owner_id']")).select_by_value(str(account["user"]["id"]))
    c.allow_log(r"/v1/companies - Failed to load resource: the server responded with a status of 422")
    c.click("Create company")
    error = c.find(".field[data-field='domain'].has-error .field-error")
    assert "taken" in error.text, error.text
    c.shot("domain-taken")
    c.fill({"domain": f"https://www.Adriatic-{tag}.hr/contact"}, within=".company-form")
    c.click("Create company")
    company = company_id_from_route(c)
    c.wait_heading(f"Adriatic Logistics {tag}")
    assert c.find(".profile-meta .company-domain").text == domain
    assert c.find("[data-metric='customers_count'] .metric-value").text == "0"
    assert c.find("[data-metric='owner'] .metric-value").text == "You"
    c.shot("company-profile-empty")

    # The customer's form: the company picker suggests it; the owner picker lists the members.
    c.go(f"/customers/{customer['id']}/edit")
    c.wait_heading("Edit Marta Horvat")
    box = c.find(".customer-form [data-company-input]")
    box.send_keys("Adriatic")
    label = f"Adriatic Logistics {tag} ({domain})"
    c.wait().until(lambda d: any(o.get_attribute("value") == label
                                 for o in d.find_elements(By.CSS_SELECTOR, ".customer-form datalist option")))
    box.clear()
    box.send_keys(label)
    c.wait().until(lambda d: c.find(".customer-form [name='owner_id']").get_attribute("data-loaded") == "true")
    Select(c.find(".customer-form [name='owner_id']")).select_by_value(str(account["user"]["id"]))
    c.shot("customer-form-company")
    c.click("Save changes")
    c.wait_route(f"/customers/{customer['id']}")
    link = c.find(".profile-meta .profile-company a")
    c.wait().until(lambda d: link.text == f"Adriatic Logistics {tag}")
    assert link.get_attribute("href").endswith(f"#/companies/{company}")
    c.wait().until(lambda d: "You" in c.find(".profile-meta .profile-owner").text)
    c.find("[data-detail='company'] a")
    c.shot("customer-profile-with-company")
    stored = api.request("GET", f"/v1/customers/{customer['id']}", expect=200)
    assert stored["company_id"] == company and stored["owner_id"] == account["user"]["id"]

    # The company's profile lists the customer.
    link.click()
    c.wait_route(f"/companies/{company}")
    c.wait().until(lambda d: c.find("[data-metric='customers_count'] .metric-value").text == "1")
    row = c.find(".card-company-customers tbody tr")
    assert row.get_attribute("data-customer-id") == str(customer["id"])
    assert "Marta Horvat" in row.text
    c.shot("company-profile-with-customer")
    c.click("Open in Customers")
    c.wait_route("/customers")
    c.wait().until(lambda d: [r.get_attribute("data-customer-id") for r in c.find_all(".card-customers tbody tr")] == [str(customer["id"])])
    c.find(".chip-filter[data-filter='company_id']")
    c.wait().until(lambda d: f"Adriatic Logistics {tag}" in c.find(".chip-filter[data-filter='company_id']").text)
    c.shot("customers-of-the-company")

    # The list: search, my companies.
    c.go("/companies")
    search = c.find(".page-companies .search-input")
    search.send_keys("adriatic")
    c.wait().until(lambda d: [r.get_attribute("data-company-id") for r in c.find_all(".table-companies tbody tr")] == [str(company)])
    search.clear()
    search.send_keys(tag)
    c.wait().until(lambda d: len(c.find_all(".table-companies tbody tr")) == 2)
    c.click("My companies")
    c.wait().until(lambda d: [r.get_attribute("data-company-id") for r in c.find_all(".table-companies tbody tr")] == [str(company)])
    assert "owner_id=me" in c.route()
    c.shot("my-companies")
    c.click("My companies")
    c.wait().until(lambda d: len(c.find_all(".table-companies tbody tr")) == 2)

    # Delete asks, then can be undone.
    c.find(f".table-companies tr[data-company-id='{other['id']}'] [data-action='delete-company']").click()
    dialog = c.dialog()
    assert f"Delete Other {tag}?" in dialog.text
    c.click("Delete company", within="dialog[open]")
    c.wait_no_dialog()
    c.wait().until(lambda d: not c.find_all(f".table-companies tr[data-company-id='{other['id']}']")
                   or not c.find_all(f".table-companies tr[data-company-id='{other['id']}']")[0].is_displayed())
    c.toast("Deleted the company")
    c.click("Undo", within="#toasts")
    c.toast("Kept the company")
    c.wait().until(lambda d: c.find(f".table-companies tr[data-company-id='{other['id']}']").is_displayed())
    assert api.request("GET", f"/v1/companies/{other['id']}", expect=200)["name"] == f"Other {tag}"
    c.assert_no_horizontal_overflow("companies at 1280 px")
    # From its profile: the list, without it, until Undo.
    c.go(f"/companies/{other['id']}")
    c.wait_heading(f"Other {tag}")
    c.click("Delete")
    c.click("Delete company", within="dialog[open]")
    c.wait_route("/companies")
    c.toast("Deleted the company")
    c.wait().until(lambda d: c.find_all(".table-companies tbody tr")
                   and not c.find_all(f".table-companies tr[data-company-id='{other['id']}']"))
    c.click("Undo", within="#toasts")
    c.wait().until(lambda d: c.find_all(f".table-companies tr[data-company-id='{other['id']}']"))
    assert api.request("GET", f"/v1/companies/{other['id']}", expect=200)["name"] == f"Other {tag}"

    # On a phone.
    phone = console_factory(PHONE)
    phone.sign_in_with_token(account["token"], f"/companies/{company}")
    phone.wait_heading(f"Adriatic Logistics {tag}")
    phone.wait().until(lambda d: phone.find("[data-metric='customers_count'] .metric-value").text == "1")
    phone.find(".card-company-customers tbody tr")
    phone.assert_no_horizontal_overflow("company profile at 390 px")
    phone.shot("company-profile", full_page=True)
    phone.go(f"/customers/{customer['id']}")
    phone.wait_heading("Marta Horvat")
    phone.wait().until(lambda d: phone.find(".profile-meta .profile-company a").text == f"Adriatic Logistics {tag}")
    phone.assert_no_horizontal_overflow("customer profile at 390 px")
    phone.shot("customer-profile", full_page=True)
    phone.go("/companies")
    phone.wait_heading("Companies")
    phone.find(f".table-companies tr[data-company-id='{company}']")
    phone.assert_no_horizontal_overflow("company list at 390 px")
    phone.shot("company-list", full_page=True)
    phone.go(f"/companies/{company}/edit")
    phone.wait_heading(f"Edit Adriatic Logistics {tag}")
    phone.assert_no_horizontal_overflow("company form at 390 px")
    phone.shot("company-form", full_page=True)
