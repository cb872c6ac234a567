"""The outbound guard in the console: the delivery settings form (SMTP host, SMS webhook URL)
and the automation designer's webhook step show the server's 422 beside the field when the
target is an internal address; the tests' allowed sink is saved."""

from __future__ import annotations

import pytest

from selenium.webdriver.common.action_chains import ActionChains

SINK_HOST = "127.77.0.1"  # the tests' sinks' address, allowed by make test (see Tests/e2e/support.py)


def fill(c, name: str, value: str) -> None:
    control = c.find(f"form[data-form='delivery-settings'] [name='{name}']")
    control.clear()
    control.send_keys(value)


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_delivery_settings_refuse_internal_targets(request, account, api, size) -> None:
    c = request.getfixturevalue(size)
    c.allow_log(r"/v1/campaigns/settings - Failed to load resource: the server responded with a status of 422")
    c.sign_in_with_token(account["token"], "/campaigns")
    c.wait_heading("Campaigns")
    c.find("[data-action='delivery-settings']").click()
    c.wait_route("/campaigns/settings")
    c.wait_heading("Delivery settings")
    c.shot("delivery settings")

    fill(c, "smtp_host", "127.0.0.1")
    fill(c, "smtp_port", "25")
    fill(c, "sms_webhook_url", "http://169.254.169.254/latest/meta-data/")
    c.find("[data-action='save-settings']").click()
    error = c.find(".field[data-field='smtp_host'] .field-error")
    c.wait().until(lambda d: "public host" in error.text)
    assert "public host" in c.find(".field[data-field='sms_webhook_url'] .field-error").text
    assert c.find(".field[data-field='smtp_host'] input").get_attribute("aria-invalid") == "true"
    assert "2 highlighted fields" in c.alert_text()
    c.driver.execute_script("document.querySelector(\".field[data-field='smtp_host']\").scrollIntoView({block: 'start'})")
    c.shot("internal targets refused beside their fields")
    assert api.request("GET", "/v1/campaigns/settings", token=account["token"], expect=200)["smtp_host"] is None

    fill(c, "smtp_host", SINK_HOST)
    fill(c, "sms_webhook_url", f"http://{SINK_HOST}:9/sms")
    c.find("[data-action='save-settings']").click()
    c.wait().until(lambda d: d.find_element("css selector", "form[data-form='delivery-settings'] [name='smtp_host']").get_attribute("aria-invalid") is None
                   and "Saved" in d.find_element("css selector", "body").text)
    c.shot("allowed sink saved")


def test_designer_shows_a_refused_webhook_on_its_node(desktop, account, api) -> None:
    c = desktop
    api.token = account["token"]
    made = api.request("POST", "/v1/automations", {"name": "Hook", "trigger_type": "customer_created"}, expect=201)
    api.request("POST", f"/v1/automations/{made['id']}/design", {
        "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 200, "y": 40}},
                  {"id": "2", "type": "action", "data": {"action": "webhook", "url": f"http://{SINK_HOST}:9/hook"}, "position": {"x": 200, "y": 200}}],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}]}, expect=200)
    c.allow_log(r"/design - Failed to load resource: the server responded with a status of 422")
    c.sign_in_with_token(account["token"], f"/automations/{made['id']}")
    c.find("g.flow-node[data-node='2'] .flow-node-title")
    ActionChains(c.driver).move_to_element(c.find("g.flow-node[data-node='2'] rect.flow-node-box")).click().perform()
    control = c.find(".flow-panel [name='url']")
    control.clear()
    control.send_keys("http://169.254.169.254/latest/meta-data/")
    c.driver.execute_script("arguments[0].dispatchEvent(new Event('change'))", control)
    c.click("Save")
    c.find("g.flow-node.invalid[data-node='2']")
    c.wait().until(lambda d: "public host" in c.find(".flow-panel .field-error").text)
    c.shot("refused webhook on its node")
    saved = api.request("GET", f"/v1/automations/{made['id']}/design", expect=200)
    assert saved["nodes"][1]["data"]["url"] == f"http://{SINK_HOST}:9/hook"


def test_a_new_relay_asks_for_the_password_again(desktop, account, api) -> None:
    """The stored password goes only to the relay it was set for: changing the port (or host,
    STARTTLS, username) turns the password's hint into a request for it, and saving without
    it shows the server's 422 beside the field; entered again, the new relay is saved."""
    c = desktop
    api.request("PUT", "/v1/campaigns/settings", {"smtp_host": SINK_HOST, "smtp_port": 2525, "smtp_starttls": False,
                                                  "smtp_username": "mailer", "smtp_password": "hunter2"},
                token=account["token"], expect=200)
    c.allow_log(r"/v1/campaigns/settings - Failed to load resource: the server responded with a status of 422")
    c.sign_in_with_token(account["token"], "/campaigns/settings")
    c.wait_heading("Delivery settings")
    hint = c.find(".field[data-field='smtp_password'] .field-hint")
    assert "leave empty to keep it" in hint.text
    fill(c, "smtp_port", "2526")
    c.wait().until(lambda d: "Enter the password again" in hint.text)
    c.find("[data-action='save-settings']").click()
    error = c.find(".field[data-field='smtp_password'] .field-error")
    c.wait().until(lambda d: "Enter the password again" in error.text)
    assert c.find(".field[data-field='smtp_password'] input").get_attribute("aria-invalid") == "true"
    c.shot("a new relay asks for the password again")
    assert api.request("GET", "/v1/campaigns/settings", token=account["token"], expect=200)["smtp_port"] == 2525

    fill(c, "smtp_password", "hunter2")
    c.find("[data-action='save-settings']").click()
    c.wait().until(lambda d: "Saved" in d.find_element("css selector", "body").text)
    saved = api.request("GET", "/v1/campaigns/settings", token=account["token"], expect=200)
    assert saved["smtp_port"] == 2526 and saved["smtp_password_set"] is True
