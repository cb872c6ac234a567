"""The Workspace settings page: "Count revenue reported by browsers", off by default, with the
reason beside it (anyone can forge a browser event), turned on and off by an owner."""

from __future__ import annotations


def setting(c):
    """The setting's form once the page has read the workspace."""
    form = c.find("form[data-setting='count_browser_revenue']")
    c.wait().until(lambda d: form.get_attribute("data-loaded") == "true")
    return form, c.find("#count-browser-revenue")


def test_owner_turns_browser_revenue_on_and_off(desktop, account, api):
    c = desktop
    api.token = account["token"]
    c.sign_in_with_token(account["token"], "/settings/workspace")
    c.wait_heading("Workspace")
    form, box = setting(c)
    assert not box.is_selected(), "off by default"
    assert box.is_enabled()
    reason = c.find(".card-browser-revenue .setting-warning").text
    assert "anyone can send a purchase" in reason and "secret key" in reason
    assert c.find("label[for='count-browser-revenue']").text == "Count revenue reported by browsers"
    c.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", form)
    c.shot("browser revenue off")

    box.click()
    c.click("Save setting", ".card-browser-revenue")
    c.toast("now counts towards lifetime value")
    assert api.request("GET", "/v1/workspace", expect=200)["count_browser_revenue"] is True
    c.shot("browser revenue on")

    # Read back from the server on a fresh load, then off again.
    c.go("/dashboard")
    c.wait_route("/dashboard")
    c.go("/settings/workspace")
    c.wait_heading("Workspace")
    _, box = setting(c)
    assert box.is_selected()
    box.click()
    c.click("Save setting", ".card-browser-revenue")
    c.toast("no longer counts")
    assert api.request("GET", "/v1/workspace", expect=200)["count_browser_revenue"] is False


def test_browser_revenue_setting_on_a_phone(mobile, account):
    c = mobile
    c.sign_in_with_token(account["token"], "/settings/workspace")
    c.wait_heading("Workspace")
    form, box = setting(c)
    c.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", form)
    width = c.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways: {width}px"
    warning = c.find(".card-browser-revenue .setting-warning")
    assert warning.size["width"] <= 375
    c.shot("browser revenue setting")
