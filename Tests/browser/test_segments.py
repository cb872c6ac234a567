"""Segments in the console: the list with the built-in RFM segments, a two-condition segment
built in the visual builder whose live count matches the data, saved, its page (members,
history chart, export) and the customer profile listing it; and the builder on a phone."""

from __future__ import annotations

import datetime
import re
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .test_customers import secret_key, track_batch


def arrange(api) -> int:
    """12 customers: even ones in Croatia, odd ones in Germany, i % 4 purchases each.
    Croatia AND at least 2 purchases: customers 2, 6 and 10."""
    key = secret_key(api)
    events = []
    for i in range(12):
        email = f"seg.customer{i}@example.com"
        api.request("POST", "/v1/customers", {"name": f"Segment Customer {i}", "email": email,
                                              "country": "HR" if i % 2 == 0 else "DE"}, expect=201)
        for p in range(i % 4):
            events.append({"event": "purchase", "customer_email": email, "message_id": f"seg-{i}-{p}",
                           "properties": {"amount": 10 + p, "currency": "EUR"}})
    track_batch(api, key, events)
    return 3


def preview_count(c) -> str:
    return c.find(".preview-count").get_attribute("data-count") or ""


def condition(c, index: int):
    return c.find_all(".builder-condition")[index]


def test_build_a_two_condition_segment_and_see_the_count_match(desktop, account, api):
    c = desktop
    expected = arrange(api)
    c.sign_in_with_token(account["token"], "/segments")
    c.wait_heading("Segments")
    c.wait().until(lambda d: len(c.find_all(".card-segments-rfm tbody tr")) == 11)
    assert "Champions" in c.find(".card-segments-rfm").text
    c.shot("segments list")

    c.click("New segment")
    c.wait_heading("New segment")
    c.fill({"name": "Croatian repeat buyers", "description": "Croatia, two purchases or more"}, ".segment-form")
    # The first condition: country is HR.
    Select(condition(c, 0).find_element(By.CSS_SELECTOR, ".condition-field")).select_by_value("country")
    c.wait().until(lambda d: condition(c, 0).get_attribute("data-type") == "country")
    condition(c, 0).find_element(By.CSS_SELECTOR, "input[data-key='list']").send_keys("HR")
    c.wait().until(lambda d: preview_count(c) == "6", "6 customers in Croatia")
    c.shot("one condition")
    # The second: at least 2 purchases.
    c.click("Add condition")
    c.wait().until(lambda d: len(c.find_all(".builder-condition")) == 2)
    Select(condition(c, 1).find_element(By.CSS_SELECTOR, ".condition-field")).select_by_value("purchase_count")
    c.wait().until(lambda d: condition(c, 1).get_attribute("data-type") == "purchase_count")
    condition(c, 1).find_element(By.CSS_SELECTOR, "input[data-key='min']").send_keys("2")
    c.wait().until(lambda d: preview_count(c) == str(expected), f"the live count is {expected}")
    sample = c.find(".preview-sample").text
    assert "Segment Customer 2" in sample and "Segment Customer 6" in sample and "Segment Customer 10" in sample
    assert "Segment Customer 4" not in sample
    c.shot("two conditions with live count")

    c.click("Save segment")
    c.wait().until(lambda d: "/segments/" in c.route() and "new" not in c.route())
    c.wait_heading("Croatian repeat buyers")
    c.wait().until(lambda d: c.find(".segment-total").get_attribute("data-count") == str(expected), "the stored count matches")
    c.wait().until(lambda d: len(c.find_all(".segment-members tbody tr")) == expected)
    # The history starts where its data does (today, when the segment was built), not with
    # 29 days of zeros.
    dates = {e.text for e in c.find_all(".history-chart .axis-label") if re.fullmatch(r"\d{4}-\d{2}-\d{2}", e.text)}
    assert dates == {datetime.datetime.now(datetime.timezone.utc).date().isoformat()}, dates
    assert c.find(".card-history .card-description").text.startswith("Since ")
    segment_id = int(c.route().rsplit("/", 1)[1])
    stored = api.request("GET", f"/v1/segments/{segment_id}", expect=200)
    assert stored["customers_count"] == expected
    assert stored["filters"] == {"all": [{"country": "HR"}, {"purchase_count_min": 2}]}
    c.shot("segment page")

    # The profile lists the segment.
    c.find(".segment-members tbody tr a").click()
    c.wait().until(lambda d: "/customers/" in c.route())
    c.wait().until(lambda d: "Croatian repeat buyers" in c.find(".card-segments").text)
    c.shot("profile with segment")

    # Editing opens the builder on the stored definition.
    c.go(f"/segments/{segment_id}/edit")
    c.wait_heading("Edit segment")
    c.wait().until(lambda d: len(c.find_all(".builder-condition")) == 2)
    c.wait().until(lambda d: preview_count(c) == str(expected))
    c.shot("edit")

    # The list shows it with its count.
    c.go("/segments")
    c.wait().until(lambda d: f"{expected}" in c.find(f".card-segments-mine tr[data-segment-id='{segment_id}'] .segment-count").text)
    c.shot("list with the new segment")


def test_builder_errors_and_phone(mobile, account, api):
    c = mobile
    c.sign_in_with_token(account["token"], "/segments/new")
    c.wait_heading("New segment")
    Select(condition(c, 0).find_element(By.CSS_SELECTOR, ".condition-field")).select_by_value("event")
    c.wait().until(lambda d: condition(c, 0).get_attribute("data-type") == "event")
    condition(c, 0).find_element(By.CSS_SELECTOR, "input[data-key='name']").send_keys("purchase")
    condition(c, 0).find_element(By.CSS_SELECTOR, "input[data-key='within']").send_keys("30")
    c.wait().until(lambda d: preview_count(c) == "0")
    c.click("Add group")
    c.wait().until(lambda d: len(c.find_all(".builder-group.is-nested")) == 1)
    c.assert_no_horizontal_overflow("builder on a phone")
    c.shot("builder on a phone")
    # Saving without a name is refused in the page, beside the field, which takes focus.
    c.click("Save segment")
    c.wait().until(lambda d: "name" in c.find(".field[data-field='name'] .field-error").text.lower())
    c.wait().until(lambda d: d.switch_to.active_element.get_attribute("name") == "name")
    assert not c.find_all(".segment-form [aria-invalid='true']:not([name='name'])"), "only the name is refused"
    c.shot("name refused")
    time.sleep(0.2)


def test_history_starts_where_its_data_starts(desktop, account):
    c = desktop
    c.sign_in_with_token(account["token"], "/segments")
    starts = c.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const day = (date, count, entered = 0, exited = 0) => ({ date, customers_count: count, entered, exited });
        const days = [day('2026-11-01', 0), day('2026-11-02', 0), day('2026-11-03', 4, 4), day('2026-11-04', 3, 0, 1)];
        const empty = days.map((d) => ({ ...d, customers_count: 0, entered: 0, exited: 0 }));
        import('/js/pages/segments-detail.js').then(({ fromDataStart }) => done([
          fromDataStart(days, '2026-10-01T00:00:00Z'),
          fromDataStart([day('2026-11-01', 7), ...days.slice(1)], '2026-11-02T00:00:00Z'),
          fromDataStart(empty, '2026-11-02T10:00:00Z'),
          fromDataStart(empty, '2026-10-01T00:00:00Z'),
          fromDataStart(empty, '2027-01-01T00:00:00Z'),
        ].map((list) => list[0].date + ' ' + list.length)), (error) => done(String(error)));
    """)
    # Made a month before its first members: from the first members. Members carried in
    # from before: from the first day. No data: from the day it was made; never empty.
    assert starts == ["2026-11-03 2", "2026-11-01 4", "2026-11-02 3", "2026-11-01 4", "2026-11-04 1"], starts


def test_company_and_owner_conditions_in_the_builder(desktop, account, api):
    """The builder offers the company's fields and the owner: a segment of the customers of
    software companies or owned by me, counted live and saved as the language says."""
    me = api.request("GET", "/v1/auth/me", expect=200)["user"]["id"]
    soft = api.request("POST", "/v1/companies", {"name": "Builder Soft", "industry": "Software"}, expect=201)["id"]
    shop = api.request("POST", "/v1/companies", {"name": "Builder Shop", "industry": "Retail"}, expect=201)["id"]
    for i, fields in enumerate([{"company_id": soft}, {"company_id": soft}, {"company_id": shop}, {"company_id": shop, "owner_id": me}, {}]):
        api.request("POST", "/v1/customers", {"name": f"Builder Person {i}", "email": f"builder{i}@example.com", **fields}, expect=201)

    c = desktop
    c.sign_in_with_token(account["token"], "/segments/new")
    c.wait_heading("New segment")
    c.fill({"name": "Software or mine"}, ".segment-form")
    Select(c.find(".group-mode")).select_by_value("any")
    Select(condition(c, 0).find_element(By.CSS_SELECTOR, ".condition-field")).select_by_value("company.industry")
    c.wait().until(lambda d: condition(c, 0).get_attribute("data-type") == "company.industry")
    condition(c, 0).find_element(By.CSS_SELECTOR, "input[data-key='list']").send_keys("Software")
    c.wait().until(lambda d: preview_count(c) == "2", "2 customers of software companies")
    c.click("Add condition")
    c.wait().until(lambda d: len(c.find_all(".builder-condition")) == 2)
    Select(condition(c, 1).find_element(By.CSS_SELECTOR, ".condition-field")).select_by_value("owner_id")
    c.wait().until(lambda d: condition(c, 1).get_attribute("data-type") == "owner_id")
    owner = condition(c, 1).find_element(By.CSS_SELECTOR, "select[aria-label='Owner']")
    c.wait().until(lambda d: len(Select(owner).options) > 1, "the members are listed")
    Select(owner).select_by_value(str(me))
    c.wait().until(lambda d: preview_count(c) == "3", "and the customer I own")
    c.shot("company and owner conditions")
    c.click("Save segment")
    c.wait().until(lambda d: "/segments/" in c.route() and "new" not in c.route())
    segment_id = int(c.route().rsplit("/", 1)[1])
    stored = api.request("GET", f"/v1/segments/{segment_id}", expect=200)
    assert stored["filters"] == {"any": [{"company.industry": "Software"}, {"owner_id": me}]}, stored["filters"]
    # Reopened, the builder shows both conditions as they were.
    c.go(f"/segments/{segment_id}/edit")
    c.wait().until(lambda d: len(c.find_all(".builder-condition")) == 2)
    c.wait().until(lambda d: preview_count(c) == "3")
    assert Select(condition(c, 1).find_element(By.CSS_SELECTOR, "select[aria-label='Owner']")).first_selected_option.get_attribute("value") == str(me)
