"""Light and dark: the console follows the system's scheme, and the account menu's Theme
choice overrides it in this browser, kept across a reload."""

from __future__ import annotations

from selenium.webdriver.common.by import By


def background(c) -> str:
    return c.driver.execute_script("return getComputedStyle(document.body).backgroundColor")


def choose(c, theme: str) -> None:
    c.find(".user-button").click()
    c.find(f".theme-choice-option[data-theme='{theme}']").click()


def test_the_theme_choice_overrides_the_system_and_stays(desktop, mobile, account):
    for c in (desktop, mobile):
        c.sign_in_with_token(account["token"], "/customers")
        c.wait_ready()
        light = background(c)
        assert light == "rgb(245, 246, 248)", light  # headless Chromium's system scheme is light

        choose(c, "dark")
        assert c.driver.execute_script("return document.documentElement.dataset.theme") == "dark"
        c.wait().until(lambda d: background(c) == "rgb(12, 17, 29)", f"background stays {background(c)}")
        c.driver.refresh()
        c.wait_ready()
        c.find(".user-button").click()
        assert c.find(".theme-choice-option[data-theme='dark']").get_attribute("aria-pressed") == "true"
        c.find(".user-button").click()
        assert background(c) == "rgb(12, 17, 29)", "the choice did not survive a reload"
        c.assert_no_horizontal_overflow("dark customers")
        c.shot("dark theme")

        choose(c, "system")
        c.wait().until(lambda d: background(c) == light)
        assert c.driver.execute_script("return document.documentElement.dataset.theme || ''") == ""
        assert c.driver.execute_script("return localStorage.getItem('entercrm.theme')") is None
