"""The console's API reference states the rate limits and the one-credential rule (from
openapi.yaml's description), readable at desktop and phone widths."""

from __future__ import annotations

from selenium.webdriver.common.by import By


def check_reference(console, account) -> None:
    console.sign_in_with_token(account["token"], "/developers/api-reference")
    console.wait_heading("API reference")
    note = console.find(".api-note")
    text = note.text
    assert "may spend its minute of 1,000 requests at once" in text, text
    assert "more than one" in text and "answers 400" in text, text
    assert "a secret key there answers 401" in text, text
    assert "Retry-After" in text, text
    # The note fits the screen: no sideways scrolling on a phone.
    width = console.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= console.size[0], width
    console.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", note)
    assert note.find_elements(By.XPATH, ".") and note.is_displayed()


def test_api_reference_states_the_limits(desktop, account):
    check_reference(desktop, account)
    desktop.shot("rate limits in the api reference")


def test_api_reference_states_the_limits_on_a_phone(mobile, account):
    check_reference(mobile, account)
    mobile.shot("rate limits in the api reference", full_page=False)
