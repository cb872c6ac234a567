"""Layout and keyboard: every page at 375 px without horizontal overflow, the navigation
behind a menu button there, and the whole console operable from the keyboard."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROUTES = [
    ("/dashboard", None),
    ("/customers", "Customers"),
    ("/segments", "Segments"),
    ("/tracking", "Tracking"),
    ("/campaigns", "Campaigns"),
    ("/automations", "Automations"),
    ("/pipelines", "Pipelines"),
    ("/analytics", "Analytics"),
    ("/settings/members", "Members & Teams"),
    ("/settings/api-keys", "API keys"),
    ("/settings/sessions", "Sessions & password"),
    ("/settings/workspace", "Workspace"),
]
SOON: set[str] = set()  # every area has shipped


def test_signed_out_pages_fit_a_phone(mobile):
    c = mobile
    for route, heading in (("/login", "Sign in"), ("/register", "Create your workspace")):
        c.open(route)
        c.wait_heading(heading)
        c.assert_no_horizontal_overflow(route)
        c.shot(route.strip("/"))
    # Client-side checks show beside the fields, no request made.
    c.open("/login")
    c.click("Sign in", "form")
    c.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, "[name=email]").get_attribute("aria-invalid") == "true")
    assert "required" in c.find(".field.has-error .field-error").text
    assert c.driver.switch_to.active_element.get_attribute("name") == "email"
    c.assert_no_horizontal_overflow("login with errors")
    c.shot("login validation")


def test_every_page_fits_a_phone_and_the_navigation_is_behind_a_menu_button(mobile, account, api):
    c = mobile
    # Something in every list, so that the tables are there to overflow if they would.
    api.request("POST", "/v1/api-keys", {"name": "Checkout server with a rather long name", "type": "secret"}, expect=201)
    api.invite("Marie Curie-Skłodowska", f"marie.{account['email']}", role="admin", password="radium-and-polonium")
    api.request("POST", "/v1/teams", {"name": "Customer Success", "description": "Onboarding and renewals"}, expect=201)

    c.sign_in_with_token(account["token"], "/dashboard")
    nav = c.driver.find_element(By.ID, "sidebar")
    assert not nav.is_displayed(), "the navigation should be collapsed at 375 px"
    menu = c.find("button.menu-button")
    assert menu.get_attribute("aria-expanded") == "false"
    c.shot("dashboard")

    for route, label in ROUTES:
        if label:
            c.find("button.menu-button").click()
            c.wait().until(lambda d: nav.is_displayed())
            assert c.find("button.menu-button").get_attribute("aria-expanded") == "true"
            if route == "/customers":
                c.shot("navigation open")
            nav.find_element(By.XPATH, f".//a[.//span[@class='nav-label' and normalize-space(.)='{label}']]").click()
            c.wait_route(route)
            c.wait().until(lambda d: not nav.is_displayed())
        c.wait_ready()
        c.assert_no_horizontal_overflow(route)
        if route in SOON:
            assert "Coming soon: this area arrives with a later release" in c.find(".soon-panel").text
        c.shot(route.strip("/").replace("/", "-"))

    # The workspace switcher and the user menu open within the screen.
    c.find(".switcher-button").click()
    c.find(".switcher .popover")
    c.assert_no_horizontal_overflow("workspace switcher")
    c.shot("workspace switcher")
    c.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    c.wait().until(lambda d: not c.find_all(".switcher .popover:not([hidden])"))
    c.find(".user-button").click()
    c.find(".user-menu .popover")
    c.assert_no_horizontal_overflow("user menu")
    c.shot("user menu")
    c.driver.switch_to.active_element.send_keys(Keys.ESCAPE)

    # A dialog fits too.
    c.go("/settings/members")
    c.wait_heading("Members & Teams")
    c.click("Invite member")
    c.dialog()
    c.assert_no_horizontal_overflow("invite member dialog")
    c.shot("invite member dialog")
    c.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    c.wait_no_dialog()


def test_keyboard_alone_reaches_the_api_keys_page(desktop, account):
    c = desktop
    c.sign_in_with_token(account["token"], "/dashboard")
    c.driver.refresh()  # start from a fresh page: focus on the document
    c.wait_ready()

    body = c.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    first = c.driver.switch_to.active_element
    assert "skip-link" in first.get_attribute("class"), "the first Tab stop is the skip link"
    c.wait().until(lambda d: first.is_displayed() and first.rect["y"] >= 0)
    c.shot("skip link")

    for _ in range(40):
        active = c.driver.switch_to.active_element
        if active.tag_name == "a" and active.text.strip() == "API keys":
            break
        active.send_keys(Keys.TAB)
    else:
        raise AssertionError("Tab never reached the API keys link")
    outline = c.driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused link shows a focus ring"
    c.shot("api keys link focused")
    c.driver.switch_to.active_element.send_keys(Keys.ENTER)
    c.wait_route("/settings/api-keys")
    c.wait_heading("API keys")
    assert c.driver.switch_to.active_element.tag_name == "h1", "focus moves to the page heading"

    # Create a key from the keyboard; the dialog closes with Escape.
    c.driver.switch_to.active_element.send_keys(Keys.TAB)
    name = c.driver.switch_to.active_element
    assert name.get_attribute("name") == "name"
    name.send_keys("Keyboard key", Keys.ENTER)
    dialog = c.dialog()
    assert "eck_" in dialog.find_element(By.CSS_SELECTOR, "[data-copy-value='api-key']").get_attribute("value")
    c.shot("key dialog from keyboard")
    c.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    c.wait_no_dialog()
    c.find("tr[data-key-name='Keyboard key']")

    # The workspace switcher from the keyboard: Enter opens, Escape closes and returns focus.
    switcher = c.find(".switcher-button")
    switcher.send_keys(Keys.ENTER)
    c.find(".switcher .popover")
    assert c.driver.switch_to.active_element.get_attribute("aria-current") == "true"
    c.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    c.wait().until(lambda d: d.switch_to.active_element == switcher)
    assert switcher.get_attribute("aria-expanded") == "false"
