"""The analytics page: the RFM heat map and segments, the CLV model card, the calibration
chart and the CLV distribution, after a recompute run by the stack's job runner; the profile's
one-line explanation of the prediction; and the page on a phone."""

from __future__ import annotations

import datetime as dt
import random
import time

from .test_customers import secret_key, track_batch


def seed_purchases(api, customers: int = 60) -> None:
    key = secret_key(api)
    rng = random.Random(6)
    now = dt.datetime.now(dt.timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    events = []
    for i in range(customers):
        start = now - dt.timedelta(days=400 + rng.randrange(300))
        day, alive = 0.0, True
        events.append(purchase(i, start, rng))
        while alive:
            day += rng.expovariate(1 / 40)
            when = start + dt.timedelta(days=day)
            if when >= now:
                break
            events.append(purchase(i, when, rng))
            alive = rng.random() > 0.2
    for chunk in range(0, len(events), 500):
        track_batch(api, key, events[chunk:chunk + 500])


def purchase(i: int, when: dt.datetime, rng: random.Random) -> dict:
    return {"customer_email": f"buyer{i}@example.com", "event": "purchase",
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "properties": {"amount": round(rng.uniform(10, 200), 2), "currency": "EUR"}}


def recompute(api) -> dict:
    api.request("POST", "/v1/analytics/recompute", {}, expect=202)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        clv = api.request("GET", "/v1/analytics/clv", expect=200)
        if clv["as_of"]:
            return clv
        time.sleep(0.5)
    raise AssertionError("the recompute job did not run (is the job runner up?)")


def test_analytics_page_after_a_recompute(api, account, desktop):
    api.token = account["token"]
    seed_purchases(api)
    clv = recompute(api)
    assert clv["customers"] == 60

    c = desktop
    c.sign_in_with_token(account["token"], "/analytics")
    c.wait_heading("Analytics")
    c.wait().until(lambda d: len(c.find_all(".heat-cell")) == 25)
    counts = [int(cell.find_element("css selector", ".heat-count").text) for cell in c.find_all(".heat-cell")]
    assert sum(counts) == 60
    assert c.find("[data-segment='Champions']")
    model = c.find("table[data-model]")
    assert model.get_attribute("data-model") == clv["model"]
    assert "Customers" in model.text and "60" in model.text
    c.shot("analytics")

    c.click("Compare")
    c.wait().until(lambda d: len(c.find_all(".bar-pair")) == 8 or c.find_all(".state-empty"))
    c.shot("calibration")

    person = api.request("GET", "/v1/customers?email=buyer0@example.com", expect=200)["data"][0]
    c.go(f"/customers/{person['id']}")
    explain = c.find("[data-metric='clv_predicted'] .metric-explain")
    assert "purchases expected in the next 12 months" in explain.text


def test_analytics_fits_a_phone(api, account, mobile):
    api.token = account["token"]
    seed_purchases(api, customers=30)
    recompute(api)
    c = mobile
    c.sign_in_with_token(account["token"], "/analytics")
    c.wait_heading("Analytics")
    c.wait().until(lambda d: len(c.find_all(".heat-cell")) == 25)
    c.assert_no_horizontal_overflow("/analytics")
    c.shot("analytics-phone")
