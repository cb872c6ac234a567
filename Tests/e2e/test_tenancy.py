"""Two workspaces through nginx: every endpoint that takes an id answers 404 for the other
workspace's resources, and nothing of theirs changes."""

from __future__ import annotations

import time
import uuid

import pytest

from .support import mailed_token, new_session


def register(http, base: str, label: str) -> dict:
    for _ in range(8):
        r = http.post(f"{base}/v1/auth/register", json={
            "name": f"{label} Owner", "email": f"{label}-{uuid.uuid4().hex[:10]}@tenancy.io",
            "password": "secret123", "workspace_name": f"Tenancy {label}",
        }, timeout=30)
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    assert r.status_code == 201, r.text
    body = r.json()
    auth = {"Authorization": f"Bearer {body['token']}"}
    key = http.post(f"{base}/v1/api-keys", json={"name": "server"}, headers=auth).json()
    return {"auth": auth, "key": key["key"], "key_id": key["id"], "slug": body["tenant"]["slug"],
            "tenant_id": body["tenant"]["id"], "user_id": body["user"]["id"]}


@pytest.fixture(scope="module")
def two(base: str, stack) -> tuple[dict, dict, object]:
    http = new_session("127.0.0.91")
    a, b = register(http, base, "alpha"), register(http, base, "beta")
    # Workspace A's resources.
    a["team"] = http.post(f"{base}/v1/teams", json={"name": "A team"}, headers=a["auth"]).json()["id"]
    # A member joins as people do: invited by email, accepting through the emailed link.
    member_email = f"m-{uuid.uuid4().hex[:8]}@tenancy.io"
    a["invitation"] = http.post(f"{base}/v1/users", json={"name": "A member", "email": member_email},
                                headers=a["auth"]).json()["id"]
    a["member"] = http.post(f"{base}/v1/auth/accept-invitation", json={
        "token": mailed_token(stack, member_email, "accept-invitation"), "password": "password1"}).json()["user"]["id"]
    a["pending"] = http.post(f"{base}/v1/users", json={"name": "Pending", "email": f"p-{uuid.uuid4().hex[:8]}@tenancy.io"},
                             headers=a["auth"]).json()["id"]
    a["customer"] = http.post(f"{base}/v1/customers", json={"name": "A customer", "email": "a-customer@tenancy.io"},
                              headers=a["auth"]).json()["id"]
    a["session"] = http.get(f"{base}/v1/auth/sessions", headers=a["auth"]).json()["data"][0]["id"]
    return a, b, http


def test_every_id_of_another_workspace_is_not_found(base: str, two) -> None:
    a, b, http = two
    calls = [
        ("GET", f"/v1/teams/{a['team']}", None), ("PUT", f"/v1/teams/{a['team']}", {"name": "taken"}),
        ("DELETE", f"/v1/teams/{a['team']}", None), ("POST", f"/v1/teams/{a['team']}/members", {"user_id": b["user_id"]}),
        ("DELETE", f"/v1/teams/{a['team']}/members/{a['member']}", None),
        ("GET", f"/v1/users/{a['member']}", None), ("PUT", f"/v1/users/{a['member']}", {"role": "admin"}),
        ("DELETE", f"/v1/users/{a['member']}", None), ("DELETE", f"/v1/users/{a['user_id']}", None),
        ("DELETE", f"/v1/invitations/{a['pending']}", None), ("POST", f"/v1/invitations/{a['pending']}/resend", None),
        ("DELETE", f"/v1/api-keys/{a['key_id']}", None), ("DELETE", f"/v1/auth/sessions/{a['session']}", None),
        ("GET", f"/v1/customers/{a['customer']}", None), ("PUT", f"/v1/customers/{a['customer']}", {"name": "taken"}),
        ("DELETE", f"/v1/customers/{a['customer']}", None), ("GET", f"/v1/customers/{a['customer']}/events", None),
        ("GET", f"/v1/customers/{a['customer']}/export", None),
        ("GET", f"/api/brands/{a['slug']}/crm/entity-presets", None),
        ("GET", f"/api/brands/{a['tenant_id']}/crm/entity-presets", None),
    ]
    for credentials in (b["auth"], {"X-API-Key": b["key"]}, {"EF-Access-Key": b["key"]}):
        for method, path, body in calls:
            if path.startswith(("/v1/teams", "/v1/users", "/v1/invitations", "/v1/api-keys", "/v1/auth")) and "Authorization" not in credentials:
                continue  # user management needs a user session; a key gets 403 there whatever the id
            r = http.request(method, f"{base}{path}", json=body, headers=credentials, timeout=30)
            assert r.status_code == 404, f"{method} {path} with {list(credentials)[0]}: {r.status_code} {r.text}"
            assert r.headers["Content-Type"].startswith("application/json")


def test_nothing_of_the_other_workspace_changed_or_leaked(base: str, two) -> None:
    a, b, http = two
    assert http.get(f"{base}/v1/teams/{a['team']}", headers=a["auth"]).json()["name"] == "A team"
    assert http.get(f"{base}/v1/customers/{a['customer']}", headers=a["auth"]).json()["name"] == "A customer"
    assert http.get(f"{base}/v1/users", headers=a["auth"]).json()["meta"]["total"] == 2
    assert len(http.get(f"{base}/v1/api-keys", headers=a["auth"]).json()["data"]) == 1
    # B's lists show none of A's rows.
    assert http.get(f"{base}/v1/customers?email=a-customer@tenancy.io", headers=b["auth"]).json()["meta"]["total"] == 0
    assert http.get(f"{base}/v1/teams", headers=b["auth"]).json()["data"] == []
    assert http.get(f"{base}/v1/users", headers=b["auth"]).json()["meta"]["total"] == 1
    assert http.get(f"{base}/v1/invitations", headers=b["auth"]).json()["meta"]["total"] == 0
    assert http.get(f"{base}/v1/invitations", headers=a["auth"]).json()["meta"]["total"] == 1
    # Tracking with B's key cannot touch A's customer by id.
    r = http.post(f"{base}/v1/track/event", headers={"X-API-Key": b["key"]}, json={"customer_id": a["customer"], "event": "x"})
    assert r.status_code == 422
    assert http.get(f"{base}/v1/customers/{a['customer']}", headers=a["auth"]).json()["events_count"] == 0
