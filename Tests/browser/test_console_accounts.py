"""Proven addresses in the console (issue 20): the "check your inbox" banner and its resend,
the verify-email landing page, forgot and reset password, and accepting an invitation with
an existing account (sign in, then accept). Screenshots at desktop and phone widths."""

from __future__ import annotations

import uuid

from .support import PASSWORD, Api, mailed_token, unique_email


def register_in_console(c, email: str) -> None:
    c.open("/register")
    c.fill({"name": "Rosalind Franklin", "email": email, "password": PASSWORD, "workspace_name": f"Photo 51 {uuid.uuid4().hex[:6]}"})
    c.submit_auth_form("Create workspace", "/dashboard")


def test_register_then_verify_from_the_emailed_link(console_factory):
    for size in ((1280, 900), (375, 812)):
        c = console_factory(size)
        email = unique_email("rosalind")
        register_in_console(c, email)
        banner = c.find(".verify-banner")
        assert banner.is_displayed() and "Check your inbox" in banner.text and email in banner.text
        c.shot("check your inbox banner")
        c.click("Resend the link", ".verify-banner")
        c.toast("on its way")
        token = mailed_token(email, "verify-email")
        assert token and token not in c.driver.page_source, "the console shows no token (only the mailbox, the inbox itself, does)"
        if size[0] >= 600:
            # With no relay (make up), the message is in the console's development mailbox,
            # shown only to the account it is for.
            c.click("No mail relay? Open the development mailbox", ".verify-banner")
            c.wait_heading("Development mailbox")
            c.click("Confirm your email address")
            c.find("iframe.mailbox-frame")
            c.shot("the verification email in the development mailbox")
        c.go(f"/verify-email?token={token}")
        c.wait().until(lambda d: "verified" in c.find(".alert-success").text)
        c.shot("address verified")
        c.click("Go to the dashboard")
        c.wait_route("/dashboard")
        assert not any(banner.is_displayed() for banner in c.find_all(".verify-banner"))
        # The link works once.
        c.allow_log(r"status of 422")
        c.go(f"/verify-email?token={token}")
        c.wait().until(lambda d: "invalid, used or expired" in c.find(".alert-error").text)
        c.shot("link used twice")


def test_a_link_opened_signed_out_asks_to_sign_in_then_confirms(console_factory, api):
    """The link alone confirms nothing (someone who registered with another person's address
    must not have its holder confirm it with one click): a first-time user whose browser is
    signed out is asked to sign in, and sign-in brings them back to the link, which confirms."""
    email = unique_email("marie")
    api.register("Marie Curie", email, f"Radium {uuid.uuid4().hex[:6]}")
    token = mailed_token(email, "verify-email")
    for size in ((375, 812), (1280, 900)):
        c = console_factory(size)
        c.open(f"/verify-email?token={token}")
        c.wait_heading("Confirm your email address")
        assert "Sign in to the account you created" in c.find("p[role='status']").text
        assert c.button_present("Sign in to confirm")
        c.shot("verification link signed out")
        if size[0] < 600:
            continue  # the phone only looks; the desktop signs in and confirms (the link works once)
        assert api.request("GET", "/v1/auth/me")["user"]["email_verified"] is False, "opening the link confirmed nothing"
        c.click("Sign in to confirm")
        c.wait_route("/login")
        assert "Sign in to the account you created" in c.alert_text()
        c.fill({"email": email, "password": PASSWORD})
        c.submit_auth_form("Sign in", "/verify-email")
        c.wait().until(lambda d: "verified" in c.find(".alert-success").text)
        c.shot("confirmed after signing in")
        c.click("Go to the dashboard")
        c.wait_route("/dashboard")
        assert not any(banner.is_displayed() for banner in c.find_all(".verify-banner"))
    assert api.request("GET", "/v1/auth/me")["user"]["email_verified"] is True


def test_forgot_and_reset_password(console_factory, account):
    # The phone asks for the link and opens it; the desktop, with the same link, sets the
    # password (a second request within a minute sends no second link).
    for size in ((375, 812), (1280, 900)):
        c = console_factory(size)
        c.open("/login")
        c.click("Forgot your password?")
        c.wait_route("/forgot-password")
        c.fill({"email": account["email"]})
        c.click("Email me a reset link")
        c.wait().until(lambda d: "link" in c.find(".alert-success").text)
        c.shot("reset link sent")
        token = mailed_token(account["email"], "reset-password")
        assert token and token not in c.driver.page_source
        c.open(f"/reset-password?token={token}")
        new_password = f"{PASSWORD}-renewed"
        c.fill({"password": new_password, "password_confirmation": new_password})
        c.shot("choose a new password")
        if size[0] < 600:
            continue
        c.submit_auth_form("Set the new password", "/login")
        assert "every session was signed out" in c.alert_text()
        c.shot("signed out everywhere")
        c.fill({"email": account["email"], "password": new_password})
        c.submit_auth_form("Sign in", "/dashboard")


def test_an_existing_account_signs_in_then_accepts(console_factory, account, api, base):
    other = Api(base)
    email = unique_email("barbara")
    other.register("Barbara McClintock", email, "Maize Genetics")
    other.verify(email)
    other.close()
    api.request("POST", "/v1/users", {"name": "Barbara", "email": email, "role": "admin"}, expect=201)
    token = mailed_token(email, "accept-invitation")

    for size in ((375, 812), (1280, 900)):
        c = console_factory(size)
        c.open(f"/accept-invitation?token={token}")
        c.wait_heading("Join your team")
        c.shot("invitation signed out")
        if size[0] < 600:
            continue  # the phone only looks; the desktop accepts (the token works once)
        c.click("Sign in to accept")
        c.wait_route("/login")
        c.fill({"email": email, "password": PASSWORD})
        c.submit_auth_form("Sign in", "/accept-invitation")
        c.wait().until(lambda d: email in c.find("form[aria-label='Accept invitation']").text)
        c.shot("accept as the signed-in account")
        c.submit_auth_form("Accept invitation", "/dashboard")
        c.wait().until(lambda d: account["workspace"] in c.find(".switcher-name").text)
        c.shot("joined the inviting workspace")


def test_invitations_fit_a_phone(mobile, account, api):
    c = mobile
    for name in ("Lise Meitner", "Chien-Shiung Wu"):
        api.request("POST", "/v1/users", {"name": name, "email": unique_email("invitee"), "role": "member"}, expect=201)
    c.sign_in_with_token(account["token"], "/settings/members")
    c.wait_heading("Members & Teams")
    rows = c.find_all(".card-invitations tr[data-status='invited']")
    assert len(rows) == 2
    c.assert_no_horizontal_overflow("invitations")
    c.find(".card-invitations").location_once_scrolled_into_view
    c.shot("invitations on a phone")
