"""The console's main path: register, sign out, sign in, an API key shown once, revoked."""

from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By

from .support import PASSWORD, unique_email


def test_register_sign_in_and_manage_an_api_key(desktop):
    c = desktop
    tag = uuid.uuid4().hex[:6]
    name, email, workspace = f"Grace Hopper {tag}", unique_email("grace"), f"Compiler Works {tag}"

    c.open("/register")
    c.wait_heading("Create your workspace")
    c.shot("register form")
    c.fill({"name": name, "email": email, "password": PASSWORD, "workspace_name": workspace})
    c.shot("register filled")
    c.submit_auth_form("Create workspace", "/dashboard")

    # The dashboard: the workspace, the role and the shell.
    c.wait_heading(f"Welcome, {name.split()[0]}")
    assert c.find("[data-testid='workspace-name']").text == workspace
    assert c.find("[data-testid='role']").text == "Owner"
    assert workspace in c.find(".switcher-name").text
    assert c.token()
    c.shot("dashboard after registration")

    # Sign out from the user menu.
    c.click("Account menu")
    c.find(".user-menu .popover")
    c.shot("user menu")
    c.click("Sign out")
    c.wait_route("/login")
    assert c.token() is None
    assert "signed out" in c.alert_text().lower() or "signed out" in c.find(".alert").text.lower()
    c.shot("signed out")

    # Sign in again.
    c.fill({"email": email, "password": PASSWORD})
    c.submit_auth_form("Sign in", "/dashboard")
    c.wait_heading(f"Welcome, {name.split()[0]}")
    c.shot("dashboard after sign-in")

    # Create an API key from the navigation.
    c.click("API keys", "nav")
    c.wait_route("/settings/api-keys")
    c.wait_heading("API keys")
    c.find(".card-keys .state-empty")
    c.shot("api keys empty")
    key_name = f"Production server {tag}"
    c.fill({"name": key_name, "type": "secret"}, ".card-create-key form")
    c.click("Create key")

    # The full key, once, with a copy button and a warning.
    dialog = c.dialog()
    full_key = dialog.find_element(By.CSS_SELECTOR, "[data-copy-value='api-key']").get_attribute("value")
    assert full_key.startswith("eck_") and len(full_key) > 30, full_key
    assert "won’t be shown again" in dialog.text or "only time" in dialog.text
    copy = dialog.find_element(By.CSS_SELECTOR, "button[data-copy='api-key']")
    assert copy.is_displayed() and copy.text == "Copy"
    c.shot("new key shown once")
    copy.click()
    c.wait().until(lambda d: "Copied" in copy.text)
    copied = c.driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(null));")
    if copied is not None:
        assert copied == full_key
    c.shot("key copied")
    c.click("I have copied the key")
    c.wait_no_dialog()

    # Listed masked: never the full key.
    row = c.find(f"tr[data-key-name='{key_name}']")
    masked = row.find_element(By.CSS_SELECTOR, ".key-masked").text
    assert masked != full_key and full_key not in c.driver.page_source
    assert masked.startswith("eck_") and masked.endswith(full_key[-4:]), masked
    assert "Secret" in row.text
    c.shot("key listed masked")

    # Revoke it, with a confirmation.
    c.click(f"Revoke {key_name}")
    confirm = c.dialog()
    assert "Revoke" in confirm.text
    c.shot("revoke confirmation")
    c.click("Revoke key", "dialog[open]")
    c.wait_no_dialog()
    c.toast("revoked")
    c.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"tr[data-key-name='{key_name}']"))
    c.find(".card-keys .state-empty")
    c.shot("key revoked")

    # Sign out.
    c.click("Account menu")
    c.click("Sign out")
    c.wait_route("/login")
    assert c.token() is None
    c.shot("signed out at the end")


def test_reload_keeps_the_session(desktop, account):
    c = desktop
    c.sign_in_with_token(account["token"], "/settings/workspace")
    c.wait_heading("Workspace")
    c.driver.refresh()
    c.wait_ready()
    assert c.route() == "/settings/workspace"
    c.wait_heading("Workspace")
    assert account["workspace"] in c.find(".switcher-name").text
    c.shot("workspace after reload")


def test_a_revoked_token_leads_to_sign_in(desktop, account, api):
    c = desktop
    c.sign_in_with_token(account["token"], "/dashboard")
    api.request("POST", "/v1/auth/logout", {}, expect=200, token=account["token"])
    c.allow_log(r"status of 401")
    c.go("/settings/api-keys")
    c.wait_route("/login")
    assert c.token() is None
    assert "session has ended" in c.alert_text().lower() or "session has ended" in c.find(".alert").text.lower()
    c.shot("session ended")


def test_a_publishable_key_stays_visible_with_a_copy_button(desktop, account):
    c = desktop
    c.sign_in_with_token(account["token"], "/settings/api-keys")
    c.wait_heading("API keys")
    c.fill({"name": "Website tracker", "type": "publishable"}, ".card-create-key form")
    assert "tracking only" in c.find(".card-create-key").text
    c.click("Create key")
    dialog = c.dialog()
    full_key = dialog.find_element(By.CSS_SELECTOR, "[data-copy-value='api-key']").get_attribute("value")
    assert full_key.startswith("eck_pub_")
    assert "Publishable" in dialog.text
    c.shot("publishable key created")
    c.click("I have copied the key")
    c.wait_no_dialog()
    row = c.find("tr[data-key-name='Website tracker']")
    shown = row.find_element(By.CSS_SELECTOR, ".key-masked").get_attribute("title")
    if "…" not in shown:  # the API lists publishable keys in full
        assert shown == full_key
        row.find_element(By.XPATH, ".//button[normalize-space(.)='Copy the key Website tracker']").click()
        c.toast("copied")
    c.shot("publishable key listed")
