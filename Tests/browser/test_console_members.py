"""Members and teams: invite by email (listed as invited, re-sent, revoked; the token never
shown), change role, remove; teams created, renamed, joined and left; what a plain member
sees."""

from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .support import PASSWORD, mailed_token, unique_email


def test_members_and_teams(desktop, account, api):
    c = desktop
    tag = uuid.uuid4().hex[:6]
    c.sign_in_with_token(account["token"], "/settings/members")
    c.wait_heading("Members & Teams")
    c.find(f"tr[data-email='{account['email']}']")
    c.find(".card-teams .state-empty")
    c.shot("members page")

    # Invite two people: each gets an email; the page lists them as invited, with no token.
    katherine = {"name": f"Katherine Johnson {tag}", "email": unique_email("katherine")}
    dorothy = {"name": f"Dorothy Vaughan {tag}", "email": unique_email("dorothy")}
    for person, role in ((katherine, "admin"), (dorothy, "member")):
        c.click("Invite member")
        c.dialog()
        c.fill({**person, "role": role}, "dialog[open] form")
        if person is katherine:
            assert not c.find_all("dialog[open] [name='password']"), "nobody sets a password for someone else"
            c.shot("invite member filled")
        c.click("Send invitation", "dialog[open]")
        c.wait_no_dialog()
        c.toast(f"Invitation sent to {person['email']}")
        row = c.find(f".card-invitations tr[data-email='{person['email']}'][data-status='invited']")
        assert person["name"] in row.text and "Invited" in row.text
    assert not c.find_all(f".card-members tr[data-email='{katherine['email']}']"), "invited is not joined"
    assert "eci_" not in c.driver.page_source and mailed_token(katherine["email"], "accept-invitation") not in c.driver.page_source
    c.shot("invitations pending")

    # Re-send one: a new link, the old one dead.
    old = mailed_token(katherine["email"], "accept-invitation")
    c.click(f"Re-send the invitation to {katherine['email']}")
    c.toast("the old link no longer works")
    new = mailed_token(katherine["email"], "accept-invitation")
    assert new and new != old

    # Revoke another.
    grace = unique_email("grace")
    api.request("POST", "/v1/users", {"name": f"Grace Hopper {tag}", "email": grace}, expect=201)
    c.go("/settings/members?page=1")
    c.click(f"Revoke the invitation to {grace}")
    assert grace in c.dialog().text
    c.shot("revoke invitation confirmation")
    c.click("Revoke invitation", "dialog[open]")
    c.wait_no_dialog()
    c.toast("was revoked")
    c.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, f".card-invitations tr[data-email='{grace}']"))

    # Both accept through their emailed links (as new people choosing a password).
    for person in (katherine, dorothy):
        token = mailed_token(person["email"], "accept-invitation")
        api.request("POST", "/v1/auth/accept-invitation", {"token": token, "password": PASSWORD}, expect=200, token="")
    c.go("/settings/members")
    row = c.find(f".card-members tr[data-email='{katherine['email']}']")
    assert katherine["name"] in row.text
    assert Select(row.find_element(By.CSS_SELECTOR, "select")).first_selected_option.text == "Admin"
    c.find(f".card-members tr[data-email='{dorothy['email']}']")
    c.find(".card-invitations .state-empty")
    c.shot("invitations accepted")

    # Change a role.
    Select(c.find(f"select[data-role='{dorothy['email']}']")).select_by_value("admin")
    c.toast(f"{dorothy['name']} is now an admin")
    c.shot("role changed")

    # The last owner cannot be demoted: the API's 422 shows in the alert region.
    c.allow_log(r"status of 422")
    own = Select(c.find(f"select[data-role='{account['email']}']"))
    own.select_by_value("member")
    c.dialog()
    c.click("Change my role", "dialog[open]")
    c.wait().until(lambda d: "last owner" in c.alert_text().lower())
    assert Select(c.find(f"select[data-role='{account['email']}']")).first_selected_option.text == "Owner"
    c.shot("last owner cannot be demoted")

    # Teams: create, add two members, remove one, rename.
    team = f"Flight Research {tag}"
    c.click("New team")
    c.dialog()
    c.fill({"name": team, "description": "Trajectories and re-entry"}, "dialog[open] form")
    c.click("Create team", "dialog[open]")
    c.wait_no_dialog()
    c.toast("created")
    item = c.find(f"li[data-team-name='{team}']")
    assert "No members yet" in item.text

    for person in (katherine, dorothy):
        item = c.find(f"li[data-team-name='{team}']")
        select = Select(item.find_element(By.CSS_SELECTOR, "select[name=user_id]"))
        select.select_by_visible_text(f"{person['name']} ({person['email']})")
        item.find_element(By.XPATH, ".//button[normalize-space(.)='Add to team']").click()
        c.wait().until(lambda d: d.find_elements(
            By.CSS_SELECTOR, f"li[data-team-name='{team}'] .chip[data-email='{person['email']}']"))
    item = c.find(f"li[data-team-name='{team}']")
    assert "2 members" in item.text
    c.shot("team with two members")

    c.click(f"Remove {dorothy['name']} from {team}")
    c.wait().until(lambda d: not d.find_elements(
        By.CSS_SELECTOR, f"li[data-team-name='{team}'] .chip[data-email='{dorothy['email']}']"))
    assert "1 member" in c.find(f"li[data-team-name='{team}']").text

    renamed = f"Flight Dynamics {tag}"
    c.click(f"Rename {team}")
    c.dialog()
    c.fill({"name": renamed}, "dialog[open] form")
    c.click("Save", "dialog[open]")
    c.wait_no_dialog()
    c.find(f"li[data-team-name='{renamed}']")
    c.shot("team renamed")

    # Remove a member, confirmed.
    c.click(f"Remove {dorothy['name']}")
    confirm = c.dialog()
    assert dorothy["email"] in confirm.text
    c.shot("remove member confirmation")
    c.click("Remove member", "dialog[open]")
    c.wait_no_dialog()
    c.toast("was removed")
    c.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"tr[data-email='{dorothy['email']}']"))

    # Delete the team.
    c.click(f"Delete {renamed}")
    c.dialog()
    c.click("Delete team", "dialog[open]")
    c.wait_no_dialog()
    c.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"li[data-team-name='{renamed}']"))
    c.shot("after removing and deleting")


def test_an_invited_member_accepts_and_sees_no_management(desktop, account, api):
    c = desktop
    tag = uuid.uuid4().hex[:6]
    email = unique_email("invitee")
    invited = api.request("POST", "/v1/users", {"name": f"Alan Turing {tag}", "email": email, "role": "member"}, expect=201)
    assert invited["status"] == "invited" and "invitation_token" not in invited
    api.request("POST", "/v1/teams", {"name": f"Codebreakers {tag}"}, expect=201)

    c.open(f"/accept-invitation?token={mailed_token(email, 'accept-invitation')}")
    c.wait_heading("Join your team")
    c.fill({"password": PASSWORD, "password_confirmation": PASSWORD + "x"})
    c.click("Create account and join")
    c.wait().until(lambda d: "do not match" in c.find(".field.has-error .field-error").text)
    c.shot("accept invitation mismatch")
    c.fill({"password_confirmation": PASSWORD})
    c.submit_auth_form("Create account and join", "/dashboard")
    assert c.find("[data-testid='role']").text == "Member"
    assert account["workspace"] in c.find(".switcher-name").text
    c.shot("invited member dashboard")

    c.go("/settings/members")
    c.wait_heading("Members & Teams")
    c.find(f"tr[data-email='{email}']")
    assert "Only owners and admins" in c.find(".page-members .alert-info").text
    assert not c.find_all("select[data-role]"), "a member sees roles, not role selects"
    assert not c.button_present("Invite member") and not c.button_present("New team")
    assert not c.find_all(".card-invitations"), "members do not see invitations"
    c.find(f"li[data-team-name='Codebreakers {tag}']")
    assert not c.find_all(".team-add")
    c.shot("members page as member")

    c.go("/settings/api-keys")
    c.wait_heading("API keys")
    assert "Only owners and admins" in c.find(".page-api-keys .alert-info").text
    c.shot("api keys as member")
