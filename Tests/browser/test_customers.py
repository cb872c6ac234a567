"""Customers in the console: the list (search, sort, filters, pages, all kept in the
address), create with a field error then success, edit, the profile with its timeline and
export, erase behind a typed confirmation, and all of it on a phone."""

from __future__ import annotations

import datetime as dt
import json
import time
import unicodedata
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

FIRST = ["Ana", "Marko", "Iva", "Luka", "Sara", "Josip", "Petra", "Ivan", "Nika", "Tomislav"]
LAST = ["Horvat", "Kovač", "Babić", "Marić", "Jurić", "Novak", "Knežević", "Vuković", "Perić", "Pavlović"]
PLACES = [("Zagreb", "HR"), ("Berlin", "DE"), ("Wien", "AT")]


# --- arranging through the API -----------------------------------------------------------


def secret_key(api) -> str:
    return api.request("POST", "/v1/api-keys", {"name": "Test server", "type": "secret"}, expect=201)["key"]


def track_batch(api, key: str, events: list[dict]) -> dict:
    """Sends events with a secret key (X-API-Key), waiting out a 429."""
    deadline = time.monotonic() + 120
    while True:
        response = api.http.post(f"{api.base}/v1/track/batch", json={"events": events},
                                 headers={"X-API-Key": key, "Accept": "application/json"}, timeout=30)
        if response.status_code != 429 or time.monotonic() > deadline:
            break
        time.sleep(float(response.headers.get("Retry-After", "2")) + 0.2)
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert not body["errors"], body
    return body


def create_customer(api, **fields) -> dict:
    return api.request("POST", "/v1/customers", fields, expect=201)


def customer_by_email(api, email: str) -> dict | None:
    found = api.request("GET", f"/v1/customers?email={email}", expect=200)["data"]
    return found[0] if found else None


def ascii_email(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", ".")


def euro(amount: float) -> str:
    return f"€{amount:,.2f}"


def rows(c) -> list:
    return c.find_all(".card-customers tbody tr")


def row_emails(c) -> list[str]:
    return [row.get_attribute("data-email") for row in rows(c)]


def wait_rows(c, count: int) -> None:
    c.wait().until(lambda d: len(rows(c)) == count and not c.find_all(".customers-results.is-loading"),
                   f"expected {count} customer rows")


def list_status(c) -> str:
    return c.find(".card-customers .list-status").text if c.find_all(".customers-footer:not([hidden])") else ""


@pytest.fixture
def populated(api, account):
    """30 customers in three cities; customer i spent (i + 1) × 10 EUR."""
    people = []
    for i in range(30):
        city, country = PLACES[i % 3]
        name = f"{FIRST[i % 10]} {LAST[i // 3]}"
        if i == 7:
            name = "Ivana Quetzal"
        email = f"{ascii_email(name)}.{i}@example.test"
        people.append(create_customer(api, name=name, email=email, city=city, country=country))
    key = secret_key(api)
    track_batch(api, key, [
        {"customer_email": person["email"], "event": "purchase",
         "properties": {"amount": (i + 1) * 10, "currency": "EUR"}, "message_id": f"order-{i}"}
        for i, person in enumerate(people)
    ])
    return people


# --- the list ------------------------------------------------------------------------------


def test_list_search_sort_filters_and_pages(desktop, account, populated):
    c = desktop
    c.sign_in_with_token(account["token"], "/customers")
    c.wait_heading("Customers")
    wait_rows(c, 25)
    assert "Showing 1–25 of 30 customers" in list_status(c)
    assert "Page 1 of 2" in c.find(".pagination").text
    first = rows(c)[0]
    assert "€" in first.find_element(By.CSS_SELECTOR, ".col-clv").text
    assert first.find_element(By.CSS_SELECTOR, ".col-last-seen time").get_attribute("title")
    header = c.find("th[aria-sort]")
    assert header.text.strip().upper() == "CREATED" and header.get_attribute("aria-sort") == "descending"
    c.shot("list first page")

    # Sort by lifetime value: highest first, then lowest first; the header says which.
    c.find("button[data-sort='clv_total']").click()
    c.wait().until(lambda d: "sort=clv_total" in c.route() and "order=desc" in c.route())
    c.wait().until(lambda d: row_emails(c)[:1] == [populated[29]["email"]])
    assert c.find("th[aria-sort]").get_attribute("aria-sort") == "descending"
    assert c.driver.switch_to.active_element.get_attribute("data-sort") == "clv_total", "focus stays on the header"
    assert euro(300) in rows(c)[0].text
    c.shot("sorted by clv descending")
    c.driver.switch_to.active_element.send_keys(Keys.ENTER)  # the keyboard sorts too
    c.wait().until(lambda d: "order=asc" in c.route())
    c.wait().until(lambda d: row_emails(c)[:1] == [populated[0]["email"]])
    assert c.find("th[aria-sort]").get_attribute("aria-sort") == "ascending"
    assert c.find("select[name='sort']").get_attribute("value") == "clv_total:asc"
    c.shot("sorted by clv ascending")

    # The next page; the address keeps it through a reload and Back.
    c.click("Next page")
    c.wait().until(lambda d: "page=2" in c.route())
    wait_rows(c, 5)
    assert "Showing 26–30 of 30 customers" in list_status(c)
    assert row_emails(c)[-1] == populated[29]["email"]
    c.shot("second page")
    c.driver.refresh()
    c.wait_ready()
    wait_rows(c, 5)
    assert "page=2" in c.route() and "sort=clv_total" in c.route()
    assert c.find("th[aria-sort]").get_attribute("aria-sort") == "ascending"
    c.shot("second page after reload")
    c.driver.back()
    c.wait().until(lambda d: "page=2" not in c.route())
    c.wait_ready()
    wait_rows(c, 25)
    assert row_emails(c)[0] == populated[0]["email"]

    # Search, partial: a name's beginning, then an email's.
    search = c.find("input[name='q']")
    search.send_keys("Quetz")
    c.wait().until(lambda d: "q=Quetz" in c.route())
    wait_rows(c, 1)
    assert "Ivana Quetzal" in rows(c)[0].text
    assert c.driver.switch_to.active_element == search, "typing keeps the focus in the search box"
    c.find(".chip-filter[data-filter='q']")
    c.shot("search by name")
    search.clear()
    search.send_keys("marko.")
    c.wait().until(lambda d: "q=marko." in c.route())
    c.wait().until(lambda d: rows(c) and all("Marko" in row.text for row in rows(c)) and len(rows(c)) == 3)
    c.shot("search by email")
    c.click("Remove search “marko.”")
    c.wait().until(lambda d: "q=" not in c.route())
    wait_rows(c, 25)
    assert c.find("input[name='q']").get_attribute("value") == ""

    # Filters: a country, then a city with it; chips show them and remove them.
    c.click("Filters")
    c.find(".filters-panel")
    c.fill({"country": "de"}, ".filters-form")
    c.shot("filters open")
    c.click("Apply filters")
    c.wait().until(lambda d: "country=DE" in c.route())
    wait_rows(c, 10)
    assert all("Germany" in row.find_element(By.CSS_SELECTOR, ".col-location").text for row in rows(c))
    assert c.find("button.filters-button").get_attribute("aria-label") == "Filters, 1 active"
    c.shot("filtered by country")
    c.click("Filters, 1 active")
    c.fill({"country": "", "city": "Wien"}, ".filters-form")
    c.click("Apply filters")
    c.wait().until(lambda d: "city=Wien" in c.route() and "country=" not in c.route())
    wait_rows(c, 10)
    assert all("Wien" in row.text for row in rows(c))

    # An RFM segment nobody is in yet, and a creation date in the future: nothing matches.
    c.click("Filters, 1 active")
    c.fill({"rfm_segment": "Champions"}, ".filters-form")
    c.click("Apply filters")
    c.wait().until(lambda d: "rfm_segment=Champions" in c.route())
    c.find(".card-customers .state-empty")
    assert "No customers match" in c.find(".card-customers .state-empty").text
    c.shot("no match")
    c.click("Clear all")
    c.wait().until(lambda d: "city=" not in c.route() and "rfm_segment=" not in c.route())
    wait_rows(c, 25)
    assert "sort=clv_total" in c.route(), "clearing the filters keeps the sort"

    later = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    c.click("Filters")
    date_input = c.find(".filters-form [name='created_after']")
    c.driver.execute_script("arguments[0].value = arguments[1]", date_input, later)
    c.click("Apply filters")
    c.wait().until(lambda d: f"created_after={later}" in c.route())
    c.find(".card-customers .state-empty")
    c.click(f"Remove created from “{c.find('.chip-filter[data-filter=created_after] .chip-text').text.split(': ', 1)[1]}”")
    c.wait().until(lambda d: "created_after" not in c.route())
    c.click("Filters")
    c.driver.execute_script("arguments[0].value = arguments[1]", c.find(".filters-form [name='created_after']"), yesterday)
    c.click("Apply filters")
    wait_rows(c, 25)
    assert "of 30 customers" in list_status(c)
    c.shot("created since yesterday")

    # Per page, and a page past the end falls back to the last one.
    c.go("/customers?per_page=10&page=9")
    c.wait_ready()
    wait_rows(c, 10)
    c.wait().until(lambda d: "page=3" in c.route())
    assert "Page 3 of 3" in c.find(".pagination").text
    c.shot("ten per page")

    # A hand-made address with a bad sort falls back to the default sort.
    c.go("/customers?sort=nonsense")
    c.wait_ready()
    wait_rows(c, 25)


def test_the_list_when_a_workspace_has_no_customers(desktop, account):
    c = desktop
    c.sign_in_with_token(account["token"], "/customers")
    c.wait_heading("Customers")
    empty = c.find(".card-customers .state-empty")
    assert "No customers yet" in empty.text
    assert c.button_present("Add a customer") and c.button_present("Set up tracking")
    c.shot("empty list")


# --- create and edit ----------------------------------------------------------------------


def test_create_with_a_field_error_then_success(desktop, account, api):
    c = desktop
    taken = create_customer(api, name="Existing Person", email=f"taken-{uuid.uuid4().hex[:6]}@example.test")
    c.sign_in_with_token(account["token"], "/customers")
    c.click("New customer")
    c.wait_route("/customers/new")
    c.wait_heading("New customer")
    c.shot("new customer form")

    # Nothing filled: caught before any request.
    c.click("Create customer")
    c.wait().until(lambda d: c.find_all(".field.has-error"))
    assert "name or an email" in c.find(".field.has-error .field-error").text

    form = "form.customer-form"
    c.fill({"name": "Marko Horvatić", "email": taken["email"].upper(), "phone": "+385 92 123 4567", "city": "Zagreb", "country": "hr"}, form)
    c.click("Add property")
    c.find(".property-row:nth-child(1) .property-key").send_keys("plan")
    c.find(".property-row:nth-child(1) .property-value").send_keys("gold")
    c.click("Add property")
    c.find(".property-row:nth-child(2) .property-key").send_keys("visits")
    c.driver.execute_script("const s = arguments[0]; s.value = 'number'; s.dispatchEvent(new Event('change'))",
                            c.find(".property-row:nth-child(2) .property-type"))
    c.find(".property-row:nth-child(2) .property-value").send_keys("3")
    c.shot("new customer filled")

    # The address is taken (case-insensitively): the API's 422 shows beside the email field.
    c.allow_log(r"status of 422")
    c.click("Create customer")
    c.wait().until(lambda d: "already been taken" in c.find(f"{form} .field[data-field='email'] .field-error").text)
    email = c.find(f"{form} [name='email']")
    assert email.get_attribute("aria-invalid") == "true"
    assert c.driver.switch_to.active_element == email
    assert "highlighted field" in c.find(f"{form} .alert").text
    assert c.route() == "/customers/new"
    c.shot("email already taken")

    new_email = f"marko-{uuid.uuid4().hex[:6]}@example.test"
    c.fill({"email": new_email}, form)
    c.click("Create customer")
    c.wait().until(lambda d: c.route().startswith("/customers/") and c.route() != "/customers/new")
    c.wait_ready()
    c.toast("was created")
    c.wait_heading("Marko Horvatić")
    created = customer_by_email(api, new_email)
    assert created is not None
    profile = api.request("GET", f"/v1/customers/{created['id']}", expect=200)
    assert profile["properties"] == {"plan": "gold", "visits": 3}
    assert profile["country"] == "HR" and profile["city"] == "Zagreb"
    assert c.route() == f"/customers/{created['id']}"
    assert "Croatia" in c.find(".profile-meta").text
    assert c.find("tr[data-property='visits'] td").text == "3"
    c.shot("created customer profile")


def test_edit_a_customer(desktop, account, api):
    c = desktop
    person = create_customer(api, name="Petra Novak", email=f"petra-{uuid.uuid4().hex[:6]}@example.test", city="Split",
                             country="HR", properties={"plan": "basic", "legacy": True, "score": 7})
    c.sign_in_with_token(account["token"], f"/customers/{person['id']}")
    c.wait_heading("Petra Novak")
    c.click("Edit")
    c.wait_route(f"/customers/{person['id']}/edit")
    c.wait_heading("Edit Petra Novak")
    form = "form.customer-form"
    assert c.find(f"{form} [name='city']").get_attribute("value") == "Split"
    keys = [element.get_attribute("value") for element in c.find_all(".property-key")]
    assert keys == ["plan", "legacy", "score"]
    c.shot("edit form")

    # A phone the API refuses: its 422 shows beside the phone field.
    c.allow_log(r"status of 422")
    c.fill({"phone": "call me maybe"}, form)
    c.click("Save changes")
    c.wait().until(lambda d: c.find_all(f"{form} .field[data-field='phone'].has-error"))
    assert "digits" in c.find(f"{form} .field[data-field='phone'] .field-error").text
    c.shot("phone refused")

    c.fill({"phone": "+385 98 123 4567", "city": "Rijeka"}, form)
    plan = c.find(".property-row:nth-child(1) .property-value")
    plan.clear()
    plan.send_keys("premium")
    c.click("Remove property 2")  # legacy
    c.click("Add property")
    c.find(".property-row:nth-child(3) .property-key").send_keys("tier")
    c.find(".property-row:nth-child(3) .property-value").send_keys("vip")
    c.shot("edit filled")
    c.click("Save changes")
    c.wait_route(f"/customers/{person['id']}")
    c.toast("Changes saved")
    c.wait_heading("Petra Novak")
    c.wait().until(lambda d: "Rijeka" in c.find(".profile-meta").text)
    profile = api.request("GET", f"/v1/customers/{person['id']}", expect=200)
    assert profile["city"] == "Rijeka" and profile["phone"] == "+385 98 123 4567"
    assert profile["properties"] == {"plan": "premium", "score": 7, "tier": "vip"}
    assert c.find("tr[data-property='tier'] td").text == "vip"
    assert not c.find_all("tr[data-property='legacy']")
    c.shot("edited profile")


# --- the profile ----------------------------------------------------------------------------


def test_profile_with_aggregates_timeline_and_export(desktop, account, api, tmp_path):
    c = desktop
    email = f"ana-{uuid.uuid4().hex[:6]}@example.test"
    person = create_customer(api, name="Ana Kovač", email=email, phone="+385911234567", city="Zagreb", country="HR",
                             properties={"plan": "premium", "newsletter": True})
    key = secret_key(api)
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=40)
    events = []
    for i in range(30):
        when = (start + dt.timedelta(days=i, hours=i % 5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if i % 5 == 4:
            events.append({"customer_email": email, "event": "purchase", "occurred_at": when, "message_id": f"p-{i}",
                           "properties": {"amount": 49.5, "currency": "EUR", "product_name": f"Plan {i}"}})
        else:
            events.append({"type": "pageview", "customer_email": email, "occurred_at": when,
                           "url": f"https://shop.example.test/page-{i}", "message_id": f"v-{i}"})
    track_batch(api, key, events)

    c.sign_in_with_token(account["token"], f"/customers/{person['id']}")
    c.wait_heading("Ana Kovač")
    meta = c.find(".profile-meta").text
    assert email in meta and "+385911234567" in meta and "Zagreb, Croatia" in meta
    metric = lambda name: c.find(f".metric[data-metric='{name}'] .metric-value").text  # noqa: E731
    assert metric("clv_total") == euro(6 * 49.5)
    assert metric("orders") == "6"
    assert metric("average") == euro(49.5)
    assert metric("events") == "30"
    assert metric("clv_predicted") == "Not predicted yet"
    assert c.find("tr[data-property='plan'] td").text == "premium"
    assert "Not in any segment" in c.find(".card-segments").text

    # The timeline: newest first, 25 at a time.
    c.wait().until(lambda d: len(c.find_all(".timeline-event")) == 25)
    newest = c.find_all(".timeline-event")[:2]
    assert newest[0].get_attribute("data-event") == "purchase" and "Plan 29" in newest[0].text
    assert newest[1].get_attribute("data-event") == "pageview" and "/page-28" in newest[1].text
    assert "Showing the latest 25" in c.find(".timeline-status").text
    assert euro(49.5) in newest[0].text
    c.shot("profile")
    c.click("Show older")
    c.wait().until(lambda d: len(c.find_all(".timeline-event")) == 30)
    assert "/page-0" in c.find_all(".timeline-event")[-1].text
    assert not c.button_present("Show older")
    assert "Showing all 30" in c.find(".timeline-status").text
    c.shot("whole timeline")

    # Export: a JSON file of everything held about the customer.
    c.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    c.driver.execute_script("scrollTo(0, 0)")  # the header's buttons, out from under the sticky top bar
    c.click("Export")
    c.toast("export was downloaded")
    target = tmp_path / f"customer-{person['id']}.json"
    deadline = time.monotonic() + 15
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.exists(), list(tmp_path.iterdir())
    exported = json.loads(target.read_text())
    assert exported["customer"]["email"] == email
    assert len(exported["events"]) == 30


def test_segment_entries_on_the_profile_timeline(desktop, account, api):
    """A segment entry (recorded by segments, merged into the events endpoint) shows on the
    timeline as the segment, linked."""
    c = desktop
    person = create_customer(api, name="Sam Segment", email=f"sam-{uuid.uuid4().hex[:6]}@example.test", country="HR")
    segment = api.request("POST", "/v1/segments", {"name": "Croatian shoppers", "filters": {"country": "HR"}}, expect=201)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = api.request("GET", f"/v1/customers/{person['id']}/timeline", expect=200)["data"]
        if any(item["type"] == "segment_entered" for item in items):
            break
        time.sleep(0.25)
    c.sign_in_with_token(account["token"], f"/customers/{person['id']}")
    c.wait_heading("Sam Segment")
    item = c.find(".timeline-event[data-event='segment_entered']")
    assert "Entered segment" in item.text and "Croatian shoppers" in item.text
    link = item.find_element(By.CSS_SELECTOR, "a.timeline-segment")
    assert link.get_attribute("href").endswith(f"#/segments/{segment['id']}")
    assert "Showing all 1" in c.find(".timeline-status").text
    c.shot("segment entry on the timeline")

    # The filters ask the timeline for their types only.
    c.find(".timeline-filters button[data-filter='pageviews']").click()
    c.wait().until(lambda d: "No page views yet" in c.find(".card-timeline").text)
    c.find(".timeline-filters button[data-filter='segments']").click()
    c.wait().until(lambda d: len(c.find_all(".timeline-event[data-type='segment_entered']")) == 1)
    assert c.find(".timeline-filters button[data-filter='segments']").get_attribute("aria-pressed") == "true"


def test_an_unknown_customer(desktop, account):
    c = desktop
    c.allow_log(r"status of 404")
    c.sign_in_with_token(account["token"], "/customers/999999999")
    c.wait_heading("Customer not found")
    c.find(".state-empty")
    c.shot("unknown customer")


# --- erase ----------------------------------------------------------------------------------


def test_erase_behind_a_typed_confirmation(desktop, account, api):
    c = desktop
    email = f"erase-me-{uuid.uuid4().hex[:6]}@example.test"
    person = create_customer(api, name="Tomislav Erased", email=email)
    track_batch(api, secret_key(api), [
        {"type": "pageview", "customer_email": email, "url": "https://shop.example.test/", "message_id": f"e-{i}"} for i in range(3)
    ])
    c.sign_in_with_token(account["token"], "/customers")
    c.go("/customers?q=Tomislav")
    wait_rows(c, 1)
    c.click("Tomislav Erased")
    c.wait_route(f"/customers/{person['id']}")
    c.wait_heading("Tomislav Erased")

    c.click("Erase")
    dialog = c.dialog()
    assert "cannot be undone" in dialog.text and "3 events" in dialog.text
    erase = dialog.find_element(By.CSS_SELECTOR, "button[type='submit']")
    confirmation = dialog.find_element(By.CSS_SELECTOR, "[name='confirmation']")
    assert not erase.is_enabled()
    confirmation.send_keys("erase")  # not the word, not the address
    assert not erase.is_enabled()
    c.shot("erase confirmation")
    confirmation.clear()
    confirmation.send_keys(email.upper())
    c.wait().until(lambda d: erase.is_enabled())
    c.shot("erase confirmed")

    # Escape cancels; nothing is erased.
    confirmation.send_keys(Keys.ESCAPE)
    c.wait_no_dialog()
    assert customer_by_email(api, email) is not None

    c.click("Erase")
    dialog = c.dialog()
    dialog.find_element(By.CSS_SELECTOR, "[name='confirmation']").send_keys("ERASE", Keys.ENTER)
    c.wait_no_dialog()
    c.wait_route("/customers")
    c.toast("was erased, with 3 events")
    assert "q=Tomislav" in c.route(), "back to the list as it was"
    c.find(".card-customers .state-empty")
    c.shot("erased")
    assert customer_by_email(api, email) is None
    api.request("GET", f"/v1/customers/{person['id']}", expect=404)


# --- on a phone -------------------------------------------------------------------------------


def test_customers_on_a_phone(mobile, account, api, populated):
    c = mobile
    c.sign_in_with_token(account["token"], "/customers")
    c.wait_heading("Customers")
    wait_rows(c, 25)
    c.assert_no_horizontal_overflow("customer list")
    row = rows(c)[0]
    assert row.find_element(By.CSS_SELECTOR, ".col-clv").is_displayed(), "the value shows without scrolling"
    assert row.rect["width"] <= 375
    c.shot("list")

    c.click("Filters")
    c.find(".filters-panel")
    c.assert_no_horizontal_overflow("filters")
    c.shot("filters")
    c.click("Filters")

    c.find("input[name='q']").send_keys("Quetz")
    wait_rows(c, 1)
    c.click("Ivana Quetzal")
    c.wait_heading("Ivana Quetzal")
    c.find(".metrics")
    c.wait().until(lambda d: c.find_all(".timeline-event"))
    c.assert_no_horizontal_overflow("profile")
    c.shot("profile")
    c.driver.execute_script("document.querySelector('.card-timeline').scrollIntoView()")
    c.shot("profile timeline")

    c.driver.execute_script("scrollTo(0, 0)")
    c.click("Edit")
    c.wait_heading("Edit Ivana Quetzal")
    c.click("Add property")
    c.assert_no_horizontal_overflow("edit form")
    c.shot("edit form")
    c.driver.execute_script("document.querySelector('.field-properties').scrollIntoView()")
    c.shot("edit form properties")

    c.go("/customers/new")
    c.wait_heading("New customer")
    c.assert_no_horizontal_overflow("new customer")
    c.shot("new customer")
