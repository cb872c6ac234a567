"""Roles in the console: a viewer sees what it may not do disabled, with the reason; an admin
reads the audit log, filters it and pages through it; the members page offers the viewer
role. At desktop and phone widths, with screenshots.

People of each role are put in the workspace directly (a membership row and a session signed
with the stack's secret), so these tests do not depend on how people are invited."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .support import ROOT


def run_dir() -> str:
    return os.environ.get("ENTERCRM_RUN_DIR", str(ROOT / ".run" / "test"))


def sql(statement: str) -> str:
    script = os.environ.get("ENTERCRM_STACK", str(ROOT / "scripts" / "stack.sh"))
    done = subprocess.run([script, "db-shell", "-N", "-e", statement], env=dict(os.environ, RUN_DIR=run_dir()),
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def jwt_secret() -> bytes:
    for line in open(os.path.join(run_dir(), "entercrm.env"), encoding="utf-8"):
        if line.startswith("ENTERCRM_JWT_SECRET="):
            return line.split("=", 1)[1].strip().strip("'\"").encode()
    raise AssertionError("no ENTERCRM_JWT_SECRET in the stack's entercrm.env")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def person(tenant: int, role: str, name: str) -> dict:
    """A new account holding `role` in the workspace, and a bearer token for it."""
    email = f"{role}-{uuid.uuid4().hex[:10]}@roles.test"
    sql(f"INSERT INTO users (name, email, created_at, updated_at) VALUES ('{name}', '{email}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    user = int(sql(f"SELECT id FROM users WHERE email = '{email}'").strip())
    sql(f"INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ({tenant}, {user}, '{role}', UTC_TIMESTAMP(6))")
    jti = uuid.uuid4().hex
    sql(f"INSERT INTO sessions (jti, tenant_id, user_id, created_at, last_used_at, expires_at) "
        f"VALUES ('{jti}', {tenant}, {user}, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 DAY)")
    now = int(time.time())
    signing = b64(b'{"typ":"JWT","alg":"HS256"}') + "." + b64(json.dumps(
        {"sub": user, "tid": tenant, "jti": jti, "iat": now, "exp": now + 86400}).encode())
    token = signing + "." + b64(hmac.new(jwt_secret(), signing.encode(), hashlib.sha256).digest())
    return {"id": user, "email": email, "name": name, "token": token}


def disabled_with_reason(c, css: str, reason: str, note: str | None = None) -> None:
    """The control is disabled, its tooltip is `reason`, and the note it points to says `note` (or `reason`)."""
    control = c.find(css)
    assert control.get_attribute("aria-disabled") == "true", f"{css} is disabled"
    assert control.get_attribute("title") == reason, f"{css}: {control.get_attribute('title')!r}"
    shown = c.driver.find_element(By.ID, control.get_attribute("aria-describedby"))
    assert shown.is_displayed() and shown.text == (note or reason), f"{css}: the note says {shown.text!r}"


def test_a_viewer_sees_disabled_actions_with_the_reason(account, api, console_factory) -> None:
    tenant = account["tenant"]["id"]
    customer = api.request("POST", "/v1/customers", {"name": "Ana Horvat", "email": "ana@roles.test", "country": "HR"}, expect=201)
    segment = api.request("POST", "/v1/segments", {"name": "Croatia", "filters": {"country": "HR"}}, expect=201)
    viewer = person(tenant, "viewer", "Vera Viewer")

    for size in ((1280, 900), (375, 812)):
        c = console_factory(size)
        c.sign_in_with_token(viewer["token"], "/customers")
        c.wait_heading("Customers")
        disabled_with_reason(c, "[data-action='new-customer']", "Only owners, admins and members can add customers.")
        c.shot("viewer customers")

        c.go(f"/customers/{customer['id']}")
        c.find("[data-action='erase']")
        # One note for the row of actions, each reason once.
        note = "Only owners, admins and members can edit customers. Only owners and admins can export customers and erase customers."
        disabled_with_reason(c, "[data-action='erase']", "Only owners and admins can erase customers.", note)
        disabled_with_reason(c, "[data-action='export']", "Only owners and admins can export customers.", note)
        disabled_with_reason(c, "[data-action='edit']", "Only owners, admins and members can edit customers.", note)
        # A click does nothing: no dialog opens.
        c.driver.execute_script("document.querySelector(\"[data-action='erase']\").click()")
        assert not c.find_all("dialog[open]")
        if size[0] < 600:
            c.assert_no_horizontal_overflow("the profile of a viewer")
        c.shot("viewer customer profile")

        c.go(f"/segments/{segment['id']}")
        c.find("[data-action='delete']")
        disabled_with_reason(c, "[data-action='delete']", "Only owners and admins can delete segments.",
                             "Only owners, admins and members can edit segments. Only owners and admins can export segments and delete segments.")
        c.shot("viewer segment")

        # No audit log in the navigation; its page says why.
        links = c.find_all("a.nav-link[href='#/settings/audit-log']")
        assert links and not links[0].is_displayed()
        c.go("/settings/audit-log")
        c.wait_heading("Audit log")
        assert "Only owners and admins can read the audit log." in c.find(".permit-alert").text
        c.shot("viewer audit log")

        c.go("/settings/workspace")
        c.wait_heading("Workspace")
        disabled_with_reason(c, "[data-action='delete-workspace']", "Only owners can delete the workspace.")
        c.shot("viewer workspace", full_page=True)


def test_a_member_sees_why_the_flow_of_an_active_automation_is_not_theirs(account, api, console_factory) -> None:
    tenant = account["tenant"]["id"]
    made = api.request("POST", "/v1/automations", {"name": "Welcome", "trigger_type": "customer_created"}, expect=201)
    api.request("POST", f"/v1/automations/{made['id']}/design", {
        "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 200, "y": 40}}], "edges": []}, expect=200)
    draft = api.request("POST", "/v1/automations", {"name": "Draft", "trigger_type": "customer_created"}, expect=201)
    api.request("POST", f"/v1/automations/{made['id']}/activate", {}, expect=200)
    member = person(tenant, "member", "Mia Member")

    c = console_factory((1280, 900))
    c.sign_in_with_token(member["token"], f"/automations/{made['id']}")
    c.find("[data-action='save']")
    disabled_with_reason(c, "[data-action='save']", "Only owners and admins can change the flow of an active automation.")
    c.shot("member on an active automation")
    # A draft is still the member's to design.
    c.go(f"/automations/{draft['id']}")
    c.wait_heading("Draft")
    assert c.find("[data-action='save']").get_attribute("aria-disabled") is None


def test_only_an_owner_changes_the_audit_log_retention(account, api, console_factory) -> None:
    admin = person(account["tenant"]["id"], "admin", "Adam Admin")
    c = console_factory((1280, 900))
    c.sign_in_with_token(admin["token"], "/settings/workspace")
    c.wait_heading("Workspace")
    disabled_with_reason(c, "[data-action='save-retention']", "Only owners can change how long the audit log is kept.")
    assert c.find("[name='audit_retention_days']").get_attribute("disabled") is not None
    c.shot("admin sees the retention as the owner's", full_page=True)

    # The owner may, from 30 days on: fewer is refused in the form.
    c = console_factory((1280, 900))
    c.sign_in_with_token(account["token"], "/settings/workspace")
    c.wait_heading("Workspace")
    days = c.find("[name='audit_retention_days']")
    assert days.get_attribute("min") == "30" and days.get_attribute("disabled") is None
    c.wait().until(lambda d: days.get_attribute("value") == "365")
    days.clear()
    days.send_keys("7")
    c.find("[data-action='save-retention']").click()
    c.wait().until(lambda d: c.find(".field[data-field='audit_retention_days'] .field-error").text)
    assert api.request("GET", "/v1/workspace", expect=200)["audit_retention_days"] == 365
    days.clear()
    days.send_keys("30")
    c.find("[data-action='save-retention']").click()
    c.toast("30 days")
    assert api.request("GET", "/v1/workspace", expect=200)["audit_retention_days"] == 30


def test_an_admin_reads_filters_and_pages_the_audit_log(account, api, console_factory) -> None:
    tenant = account["tenant"]["id"]
    admin = person(tenant, "admin", "Adam Admin")
    # Audited actions by the admin: 26 keys (two pages of 25), a customer erased.
    for i in range(26):
        api.request("POST", "/v1/api-keys", {"name": f"Key {i}"}, expect=201, token=admin["token"])
    customer = api.request("POST", "/v1/customers", {"name": "Erased Person", "email": "erased@roles.test"}, expect=201)
    api.request("DELETE", f"/v1/customers/{customer['id']}", expect=200, token=admin["token"])

    c = console_factory((1280, 900))
    c.sign_in_with_token(admin["token"], "/settings/audit-log")
    c.wait_heading("Audit log")
    assert c.find("a.nav-link[href='#/settings/audit-log']").is_displayed()
    c.wait().until(lambda d: len(c.find_all(".audit-table tbody tr")) == 25)
    newest = c.find_all(".audit-table tbody tr")[0]
    assert newest.get_attribute("data-action") == "customer.erased"
    assert "Adam Admin" in newest.text and admin["email"] in newest.text
    assert "entries" in c.find(".audit-summary").text
    c.shot("admin audit log")

    c.click("Next page")
    c.wait().until(lambda d: "Page 2 of" in c.find(".pager-text").text)
    c.shot("admin audit log page 2")

    Select(c.find("select[name='action']")).select_by_value("customer.erased")
    Select(c.find("select[name='actor']")).select_by_value(str(admin["id"]))
    c.click("Filter")
    c.wait().until(lambda d: [r.get_attribute("data-action") for r in c.find_all(".audit-table tbody tr")] == ["customer.erased"])
    assert "1 entry" in c.find(".audit-summary").text
    c.shot("admin audit log filtered")

    # The members page offers the viewer role.
    c.go("/settings/members")
    c.wait_heading("Members & Teams")
    c.wait().until(lambda d: c.find_all("select[data-role]"))
    options = [o.get_attribute("value") for o in c.find_all("select[data-role] option")]
    assert "viewer" in options

    phone = console_factory((375, 812))
    phone.sign_in_with_token(admin["token"], "/settings/audit-log")
    phone.wait_heading("Audit log")
    phone.wait().until(lambda d: len(phone.find_all(".audit-table tbody tr")) == 25)
    phone.assert_no_horizontal_overflow("the audit log on a phone")
    phone.shot("admin audit log phone")
