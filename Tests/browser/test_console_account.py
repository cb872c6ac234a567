"""Sessions and password, the workspace switcher, and how API errors show on forms."""

from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By

from .support import PASSWORD, Api, unique_email


def test_sessions_and_password(desktop, account, base):
    c = desktop
    # A second session elsewhere (another "device").
    other = Api(base)
    other.login(account["email"])
    other.close()

    c.sign_in_with_token(account["token"], "/settings/sessions")
    c.wait_heading("Sessions & password")
    c.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card-sessions tbody tr")) == 2)
    current = c.find(".card-sessions tr.is-current")
    assert "This session" in current.text
    c.shot("two sessions")

    # Revoke the other one.
    c.click("Sign out other sessions")
    c.dialog()
    c.click("Sign them out", "dialog[open]")
    c.wait_no_dialog()
    c.toast("Other sessions signed out")
    c.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card-sessions tbody tr")) == 1)
    assert not c.button_present("Sign out other sessions")

    # Change the password: a wrong current password shows beside its field.
    c.allow_log(r"status of 422")
    form = ".card-password form"
    c.fill({"current_password": "not-the-password", "password": "a-brand-new-secret", "password_confirmation": "a-brand-new-secret"}, form)
    c.click("Change password", form)
    c.wait().until(lambda d: "incorrect" in c.find(f"{form} .field.has-error .field-error").text)
    field = c.find(f"{form} [name=current_password]")
    assert field.get_attribute("aria-invalid") == "true"
    assert c.driver.switch_to.active_element == field
    c.shot("wrong current password")

    # Mismatched confirmation is caught before any request.
    c.fill({"current_password": PASSWORD, "password": "a-brand-new-secret", "password_confirmation": "something-else"}, form)
    c.click("Change password", form)
    c.wait().until(lambda d: "do not match" in c.find(f"{form} .field.has-error .field-error").text)

    c.fill({"password_confirmation": "a-brand-new-secret"}, form)
    c.click("Change password", form)
    c.wait().until(lambda d: "Password changed" in c.find(f"{form} .alert").text)
    c.shot("password changed")

    # Still signed in here; the new password works (through the API, to spare the browser's
    # sign-in budget).
    c.go("/dashboard")
    c.wait_route("/dashboard")
    Api(base).login(account["email"], "a-brand-new-secret")


def test_workspace_switcher_creates_and_switches(desktop, account):
    c = desktop
    tag = uuid.uuid4().hex[:6]
    c.sign_in_with_token(account["token"], "/dashboard")
    first_token = c.token()

    c.find(".switcher-button").click()
    c.find(".switcher .popover")
    c.shot("switcher open")
    c.click("Create workspace", ".switcher")
    c.dialog()
    second = f"Difference Engine {tag}"
    c.fill({"name": second}, "dialog[open] form")
    c.click("Create workspace", "dialog[open]")
    c.wait_no_dialog()
    c.toast("created")
    c.wait().until(lambda d: second in c.find(".switcher-name").text)
    c.wait_route("/dashboard")
    assert c.find("[data-testid='workspace-name']").text == second
    assert c.token() != first_token, "switching gives a new token"
    c.shot("new workspace")

    # Both workspaces are listed; switch back.
    c.find(".switcher-button").click()
    options = c.find_all(".switcher .workspace-option")
    assert {o.find_element(By.CSS_SELECTOR, ".popover-item-title").text for o in options} >= {account["workspace"], second}
    c.shot("switcher with two workspaces")
    c.find(f".switcher .workspace-option[data-workspace='{account['tenant']['slug']}']").click()
    c.toast(f"Switched to {account['workspace']}")
    c.wait().until(lambda d: account["workspace"] in c.find(".switcher-name").text)
    assert c.find("[data-testid='workspace-name']").text == account["workspace"]

    # The workspace page lists both and can rename this one.
    c.go("/settings/workspace")
    c.wait_heading("Workspace")
    assert c.find(f"tr[data-workspace='{account['tenant']['slug']}']").find_element(By.CSS_SELECTOR, ".badge-success").text == "Current"
    renamed = f"Analytical Society {tag}"
    c.fill({"name": renamed}, ".card-rename form")
    c.click("Save name")
    c.toast("renamed")
    c.wait().until(lambda d: renamed in c.find(".switcher-name").text)
    c.shot("workspace renamed")


def test_api_errors_show_on_the_forms(desktop, account):
    c = desktop
    c.allow_log(r"status of (401|422)")

    # A field the API refuses: the error sits beside the field.
    c.open("/register")
    c.fill({"name": "Someone Else", "email": unique_email("someone"), "password": "x" * 201, "workspace_name": "Another one"})
    c.submit_auth_form("Create workspace", None)
    c.wait().until(lambda d: "password" in c.find(".field.has-error .field-error").text.lower())
    assert c.find(".field.has-error input").get_attribute("name") == "password"
    assert c.alert_text(), "the form's alert region says what went wrong"
    c.shot("register field refused")

    # Registering an address that is taken looks like any registration: no hint that it is
    # taken (the holder gets an email instead), and the new account is unverified.
    c.open("/register")
    c.fill({"name": "Someone Else", "email": account["email"], "password": PASSWORD, "workspace_name": "Another one"})
    c.submit_auth_form("Create workspace", "/dashboard")
    assert "Check your inbox" in c.find(".verify-banner").text
    c.shot("register taken address looks alike")
    c.driver.execute_script("localStorage.clear()")

    # Wrong credentials: the alert region, and no token.
    c.open("/login")
    c.fill({"email": account["email"], "password": "wrong-password"})
    assert "do not match" in c.submit_auth_form("Sign in", None)
    assert c.token() is None
    c.shot("login wrong password")

    # A route that needs a session sends you to sign in, and back afterwards.
    c.open("/settings/sessions")
    c.wait_route("/login")
    assert "next=" in c.route()
    c.fill({"email": account["email"], "password": PASSWORD})
    c.submit_auth_form("Sign in", "/settings/sessions")
    c.wait_heading("Sessions & password")
