"""Roles and the audit log through nginx (issue 20, finding 6): a member's, a viewer's and an
admin's attacks answer 403 JSON and change nothing; what they may do still works; the audit
log records who did it, from which address and agent; the matrix the console reads.

People of each role are put in the workspace directly (a membership row and a session signed
with the stack's own secret), so this test does not depend on how people are invited."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest

from .support import new_session


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def person(stack, tenant: int, role: str) -> dict:
    """A new account holding `role` in the workspace, with a bearer token of its own."""
    email = f"{role}-{uuid.uuid4().hex[:10]}@roles.test"
    sql = lambda statement: stack.run("db-shell", "-N", "-e", statement)
    sql(f"INSERT INTO users (name, email, created_at, updated_at) VALUES ('{role.title()} Person', '{email}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    user = int(sql(f"SELECT id FROM users WHERE email = '{email}'").strip())
    sql(f"INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ({tenant}, {user}, '{role}', UTC_TIMESTAMP(6))")
    jti = uuid.uuid4().hex
    sql(f"INSERT INTO sessions (jti, tenant_id, user_id, created_at, last_used_at, expires_at) "
        f"VALUES ('{jti}', {tenant}, {user}, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 DAY)")
    now = int(time.time())
    signing = b64(b'{"typ":"JWT","alg":"HS256"}') + "." + b64(json.dumps(
        {"sub": user, "tid": tenant, "jti": jti, "iat": now, "exp": now + 86400}).encode())
    secret = stack.env["ENTERCRM_JWT_SECRET"].encode()
    token = signing + "." + b64(hmac.new(secret, signing.encode(), hashlib.sha256).digest())
    return {"id": user, "email": email, "auth": {"Authorization": f"Bearer {token}", "User-Agent": f"RolesTest/{role}"}}


@pytest.fixture(scope="module")
def ws(stack, base: str) -> dict:
    http = new_session("127.0.0.93")
    for _ in range(8):
        r = http.post(f"{base}/v1/auth/register", json={
            "name": "Olga Owner", "email": f"owner-{uuid.uuid4().hex[:10]}@roles.test",
            "password": "secret123", "workspace_name": "Roles",
        }, timeout=30)
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    assert r.status_code == 201, r.text
    body = r.json()
    tenant = body["tenant"]["id"]
    w = {"http": http, "tenant": tenant, "slug": body["tenant"]["slug"],
         "owner": {"id": body["user"]["id"], "auth": {"Authorization": f"Bearer {body['token']}"}}}
    for role in ("admin", "member", "viewer"):
        w[role] = person(stack, tenant, role)
    return w


def call(w, who: str, method: str, path: str, body=None):
    return w["http"].request(method, f"{w['base']}{path}", json=body, headers=w[who]["auth"], timeout=30)


def refused(r, what: str) -> None:
    assert r.status_code == 403, f"{what}: {r.status_code} {r.text[:200]}"
    assert r.headers["Content-Type"].startswith("application/json"), what
    assert r.json()["message"], what


def test_members_viewers_and_admins_are_refused_what_their_role_may_not_do(base: str, ws) -> None:
    w = dict(ws, base=base)
    owner = w["owner"]["auth"]
    customer = w["http"].post(f"{base}/v1/customers", json={"name": "Ana", "email": "ana@roles.test", "country": "HR"},
                              headers=owner, timeout=30).json()["id"]
    segment = w["http"].post(f"{base}/v1/segments", json={"name": "Croatia", "filters": {"country": "HR"}},
                             headers=owner, timeout=30).json()["id"]
    campaign = w["http"].post(f"{base}/v1/campaigns", json={"name": "Spring", "type": "email", "segment_id": segment,
                                                           "subject": "Hi", "body": "<p>Hi</p>"}, headers=owner, timeout=30).json()["id"]

    refused(call(w, "member", "DELETE", f"/v1/customers/{customer}"), "member erases a customer")
    refused(call(w, "member", "DELETE", f"/v1/segments/{segment}"), "member deletes a segment")
    refused(call(w, "member", "POST", f"/v1/campaigns/{campaign}/send", {}), "member sends a campaign")
    refused(call(w, "member", "POST", "/v1/api-keys", {"name": "mine"}), "member makes a key")
    refused(call(w, "member", "PUT", "/v1/workspace", {"name": "Mine now"}), "member renames the workspace")
    refused(call(w, "viewer", "POST", "/v1/customers", {"name": "New", "email": "new@roles.test"}), "viewer adds a customer")
    refused(call(w, "viewer", "PUT", f"/v1/customers/{customer}", {"name": "Changed"}), "viewer edits a customer")
    refused(call(w, "admin", "DELETE", "/v1/workspace", {"confirm": w["slug"]}), "admin deletes the workspace")
    refused(call(w, "admin", "PUT", f"/v1/users/{w['member']['id']}", {"role": "owner"}), "admin makes an owner")

    got = w["http"].get(f"{base}/v1/customers/{customer}", headers=owner, timeout=30).json()
    assert got["name"] == "Ana"
    assert w["http"].get(f"{base}/v1/segments/{segment}", headers=owner, timeout=30).status_code == 200
    assert w["http"].get(f"{base}/v1/campaigns/{campaign}", headers=owner, timeout=30).json()["status"] == "draft"
    assert w["http"].get(f"{base}/v1/workspace", headers=owner, timeout=30).json()["name"] == "Roles"
    members = w["http"].get(f"{base}/v1/users", headers=owner, timeout=30).json()["data"]
    assert sorted(m["role"] for m in members) == ["admin", "member", "owner", "viewer"]

    # What each may do still works.
    assert call(w, "viewer", "GET", f"/v1/customers/{customer}").status_code == 200
    assert call(w, "member", "PUT", f"/v1/customers/{customer}", {"name": "Ana Horvat"}).status_code == 200
    assert call(w, "admin", "DELETE", f"/v1/customers/{customer}").status_code == 200


def test_the_audit_log_records_who_from_where_and_only_admins_read_it(base: str, ws) -> None:
    w = dict(ws, base=base)
    owner = w["owner"]["auth"]
    customer = w["http"].post(f"{base}/v1/customers", json={"name": "Bo", "email": "bo@roles.test"},
                              headers=owner, timeout=30).json()["id"]
    assert call(w, "admin", "DELETE", f"/v1/customers/{customer}").status_code == 200
    refused(call(w, "member", "GET", "/v1/audit-log"), "member reads the audit log")
    refused(call(w, "viewer", "GET", "/v1/audit-log"), "viewer reads the audit log")
    r = call(w, "admin", "GET", "/v1/audit-log?action=customer.erased")
    assert r.status_code == 200, r.text
    rows = [row for row in r.json()["data"] if row["target"]["id"] == customer]
    assert len(rows) == 1
    row = rows[0]
    assert row["actor"]["id"] == w["admin"]["id"] and row["actor"]["email"] == w["admin"]["email"]
    # nginx passes the client's own address and agent.
    assert row["ip"] == "127.0.0.93"
    assert row["user_agent"] == "RolesTest/admin"
    assert set(r.json()["meta"]) == {"current_page", "per_page", "total", "last_page"}
    for method in ("PUT", "PATCH", "DELETE"):
        answer = call(w, "owner", method, f"/v1/audit-log/{row['id']}", {})
        assert answer.status_code in (404, 405), f"{method}: {answer.status_code}"
        assert answer.headers["Content-Type"].startswith("application/json")


def test_the_matrix_the_console_reads(base: str, ws) -> None:
    w = dict(ws, base=base)
    viewer = call(w, "viewer", "GET", "/v1/permissions").json()["data"]
    assert viewer["role"] == "viewer"
    writes = [route for route in viewer["allowed"] if not route.startswith("GET ") and viewer["routes"][route] != "anyone"]
    assert sorted(writes) == ["DELETE /v1/auth/sessions/{id}", "POST /v1/auth/logout", "POST /v1/auth/password",
                              "POST /v1/auth/switch", "POST /v1/auth/verify-email", "POST /v1/auth/verify-email/resend",
                              "POST /v1/workspaces"]
    assert viewer["routes"]["DELETE /v1/segments/{id}"] == "admin"
    assert viewer["routes"]["DELETE /v1/workspace"] == "owner"
    member = call(w, "member", "GET", "/v1/permissions").json()["data"]
    assert "POST /v1/customers" in member["allowed"] and "DELETE /v1/customers/{id}" not in member["allowed"]


def test_only_the_owner_deletes_the_workspace(stack, base: str) -> None:
    http = new_session("127.0.0.93")
    r = http.post(f"{base}/v1/auth/register", json={
        "name": "Short Lived", "email": f"gone-{uuid.uuid4().hex[:10]}@roles.test",
        "password": "secret123", "workspace_name": "Doomed"}, timeout=30)
    assert r.status_code == 201, r.text
    body = r.json()
    owner = {"Authorization": f"Bearer {body['token']}"}
    admin = person(stack, body["tenant"]["id"], "admin")
    assert http.delete(f"{base}/v1/workspace", json={"confirm": body["tenant"]["slug"]}, headers=admin["auth"], timeout=30).status_code == 403
    wrong = http.delete(f"{base}/v1/workspace", json={"confirm": "nope"}, headers=owner, timeout=30)
    assert wrong.status_code == 422 and "confirm" in wrong.json()["errors"]
    gone = http.delete(f"{base}/v1/workspace", json={"confirm": body["tenant"]["slug"]}, headers=owner, timeout=30)
    assert gone.status_code == 200, gone.text
    assert http.get(f"{base}/v1/customers", headers=owner, timeout=30).status_code == 401
    assert http.get(f"{base}/v1/customers", headers=admin["auth"], timeout=30).status_code == 401
