"""The console's Sources page (issue 26 part 1): the endpoint, each API key as a Segment write
key (publishable in full, secret masked), ready-to-paste examples per library shown as text,
the latest events each key sent through the Segment intake, the external id on the customer
list and profile; at 1280 and 390 px."""

from __future__ import annotations

import base64
import uuid

from selenium.webdriver.common.by import By


def segment(api, key: str, path: str, body: dict) -> None:
    auth = base64.b64encode(f"{key}:".encode()).decode()
    r = api.http.post(f"{api.base}{path}", json=body, headers={"Authorization": f"Basic {auth}"}, timeout=30)
    assert r.status_code == 200, r.text[:300]


def prepare(api) -> tuple[str, str]:
    pub = api.request("POST", "/v1/api-keys", {"name": "Storefront", "type": "publishable"}, expect=201)["key"]
    secret = api.request("POST", "/v1/api-keys", {"name": "Backend"}, expect=201)["key"]
    user = f"user-{uuid.uuid4().hex[:6]}"
    segment(api, secret, "/v1/identify", {"userId": user, "traits": {"email": f"{user}@example.test", "name": "Iva Segment"}})
    segment(api, secret, "/v1/batch", {"batch": [
        {"type": "track", "userId": user, "event": "Order Completed", "properties": {"revenue": 42, "currency": "EUR"}},
        {"type": "page", "userId": user, "name": "Pricing", "properties": {"url": "https://shop.example.test/pricing"}}]})
    segment(api, pub, "/v1/track", {"anonymousId": "browser-1", "event": "Viewed Product"})
    return pub, user


def test_sources_page(desktop, account, api):
    pub, user = prepare(api)
    c = desktop
    c.sign_in_with_token(account["token"], "/sources")
    c.wait_heading("Sources")
    host = c.driver.execute_script("return location.host")
    assert c.find("[data-copy-value='segment-host']").get_attribute("value") == f"https://{host}"
    cards = c.find_all(".card-source")
    assert len(cards) == 2
    titles = [card.find_element(By.CSS_SELECTOR, ".card-title").text for card in cards]
    assert titles == ["Backend · secret key", "Storefront · publishable key"]
    backend, storefront = cards
    # The publishable key in full, in its examples too; the secret one masked, with a placeholder.
    assert storefront.find_element(By.CSS_SELECTOR, "[data-copy-value^='write-key']").get_attribute("value") == pub
    python = c.driver.execute_script(
        "return arguments[0].querySelector(\"pre[data-code$='Python']\").textContent", storefront)
    assert f"analytics.write_key = '{pub}'" in python and f"analytics.host = 'https://{host}'" in python
    backend_python = c.driver.execute_script(
        "return arguments[0].querySelector(\"pre[data-code$='Python']\").textContent", backend)
    assert "YOUR_SECRET_KEY" in backend_python
    assert "…" in backend.find_element(By.CSS_SELECTOR, "[data-copy-value^='write-key']").get_attribute("value")
    # Each key's latest events, its own only.
    backend_events = [r.get_attribute("data-event") for r in backend.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert backend_events == ["pageview", "Order Completed"]
    assert [r.get_attribute("data-event") for r in storefront.find_elements(By.CSS_SELECTOR, "tbody tr")] == ["Viewed Product"]
    c.shot("sources")
    # The external id on the customer list and the profile.
    c.driver.get(c.driver.current_url.split("#")[0] + "#/customers")
    c.wait_heading("Customers")
    row = c.find("tr[data-email='%s@example.test']" % user, timeout=15)
    assert user in row.text
    row.find_element(By.CSS_SELECTOR, "a.customer-link").click()
    c.wait_heading("Iva Segment")
    assert c.find(".profile-external-id").text == user
    c.shot("profile external id")


def test_sources_page_on_a_phone(mobile, account, api):
    prepare(api)
    c = mobile
    c.sign_in_with_token(account["token"], "/sources")
    c.wait_heading("Sources")
    c.wait().until(lambda d: len(c.find_all(".card-source")) == 2)
    c.assert_no_horizontal_overflow("sources page")
    c.shot("sources")
    c.driver.execute_script("document.querySelector('.card-source tbody').scrollIntoView()")
    c.shot("latest events")
