"""The console's Tracking page: the publishable key (created there when there is none), the
snippet shown as text with a copy button, the live view of the last events (refreshed while
the page is open, paused on request, stopped when leaving), what a plain member sees, and
the page on a phone."""

from __future__ import annotations

import time
import uuid

from selenium.webdriver.common.by import By

from .support import unique_email

STUB = "<script>window.entercrm=window.entercrm||function(){(entercrm.q=entercrm.q||[]).push(arguments)}</script>"


def send(api, key: str, path: str, body: dict) -> dict:
    response = api.http.post(f"{api.base}/v1/track/{path}", json=body, headers={"X-API-Key": key}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def events_requests(c) -> int:
    return c.driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/v1/events')).length")


def test_key_snippet_and_live_events(desktop, account, api):
    c = desktop
    c.sign_in_with_token(account["token"], "/tracking")
    c.wait_heading("Tracking")
    assert "No publishable key yet" in c.find(".card-snippet .state-empty").text
    assert "No events yet" in c.find(".card-live .state-empty").text
    c.shot("no key yet")

    # One click makes the key; the snippet appears with it.
    c.click("Create a publishable key")
    c.toast("created")
    key = c.find("[data-copy-value='publishable-key']").get_attribute("value")
    assert key.startswith("eck_pub_")
    listed = api.request("GET", "/v1/api-keys", expect=200)["data"]
    assert [(k["name"], k["type"], k["key"]) for k in listed] == [("Website", "publishable", key)]
    snippet = c.find("pre[data-code='snippet']")
    host = c.driver.execute_script("return location.host")
    text = c.driver.execute_script("return arguments[0].textContent", snippet)
    assert text == f'{STUB}\n<script async src="https://{host}/tracker.js" data-key="{key}"></script>'
    assert c.driver.execute_script("return arguments[0].querySelectorAll('*').length", snippet) == 1, "text, never markup"
    assert "entercrm('consent', false)" in c.find(".card-usage").text
    c.shot("key and snippet")

    c.find("button[data-copy='snippet']").click()
    c.toast("Copied")
    copied = c.driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(null));")
    if copied is not None:
        assert copied == text

    # Events sent with the key show up within a refresh or two, newest first.
    email = unique_email("live")
    send(api, key, "event", {"customer_email": email, "event": "signup", "properties": {"plan": "trial"}})
    row = c.find(".card-live tr[data-event='signup']", timeout=15)
    assert email in row.text and "plan: trial" in row.text
    anonymous = str(uuid.uuid4())
    send(api, key, "pageview", {"anonymous_id": anonymous, "url": "https://shop.example.test/pricing"})
    c.wait(15).until(lambda d: c.find_all(".card-live tbody tr")[0].get_attribute("data-event") == "pageview")
    first = c.find_all(".card-live tbody tr")[0]
    assert "Anonymous visitor" in first.text and anonymous[:8] in first.text
    assert "https://shop.example.test/pricing" in first.text
    assert "Live" in c.find(".live-status").text
    c.shot("live events")

    # Paused: nothing new until resumed.
    c.click("Pause")
    assert c.find("button[data-action='pause']").get_attribute("aria-pressed") == "true"
    assert c.find(".live-status").text == "Paused"
    send(api, key, "event", {"customer_email": email, "event": "while_paused"})
    time.sleep(6.5)
    assert not c.find_all(".card-live tr[data-event='while_paused']")
    c.shot("paused")
    c.click("Resume")
    c.find(".card-live tr[data-event='while_paused']", timeout=10)

    # The customer's name links to the profile.
    c.find(".card-live tr[data-event='signup'] a.customer-link").click()
    c.wait().until(lambda d: c.route().startswith("/customers/"))
    c.wait_ready()
    c.wait_heading(email)

    # Away from the page, the refreshing stops.
    before = events_requests(c)
    time.sleep(6.5)
    assert events_requests(c) == before, "the live view kept polling after leaving the page"


def test_a_member_sees_the_snippet_without_the_key(desktop, account, api, base):
    email = unique_email("member")
    token = api.invite("Mia Member", email, role="member", password="member-password-42")["token"]

    c = desktop
    c.sign_in_with_token(token, "/tracking")
    c.wait_heading("Tracking")
    assert "Only owners and admins" in c.find(".card-snippet .alert-info").text
    assert not c.button_present("Create a publishable key")
    snippet = c.driver.execute_script("return document.querySelector(\"pre[data-code='snippet']\").textContent")
    assert 'data-key="eck_pub_…"' in snippet
    c.find(".card-live .state-empty")
    c.shot("member view")


def test_tracking_page_on_a_phone(mobile, account, api):
    key = api.request("POST", "/v1/api-keys", {"name": "Website", "type": "publishable"}, expect=201)["key"]
    for i in range(3):
        send(api, key, "pageview", {"customer_email": f"phone-{i}@example.test",
                                    "url": f"https://shop.example.test/a/rather/long/path/to/a/product-{i}?utm_source=newsletter"})
    c = mobile
    c.sign_in_with_token(account["token"], "/tracking")
    c.wait_heading("Tracking")
    c.find("pre[data-code='snippet']")
    c.wait().until(lambda d: len(c.find_all(".card-live tbody tr")) == 3)
    c.assert_no_horizontal_overflow("tracking page")
    assert c.find("button[data-copy='snippet']").is_displayed()
    c.shot("tracking")
    c.driver.execute_script("document.querySelector('.card-usage').scrollIntoView()")
    c.shot("usage")
    c.driver.execute_script("document.querySelector('.card-live').scrollIntoView()")
    c.shot("live events")
    assert c.driver.find_element(By.CSS_SELECTOR, ".card-live .table-wrap").is_displayed()
