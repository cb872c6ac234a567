"""Accounts with proven addresses through nginx (issue 20, findings 1 and 5): each test sends
the attack. Mail is read from the development mailbox, as the holder of the address would."""

from __future__ import annotations

import uuid

from .support import mailed_token, new_session, system_mail


def register(http, base: str, email: str, name: str = "Jane Smith", password: str = "secret123") -> dict:
    r = http.post(f"{base}/v1/auth/register", json={
        "name": name, "email": email, "password": password, "workspace_name": f"Accounts {uuid.uuid4().hex[:6]}",
    }, timeout=30)
    assert r.status_code == 201, r.text
    body = r.json()
    body["auth"] = {"Authorization": f"Bearer {body['token']}"}
    return body


def verify(http, base: str, stack, account: dict) -> None:
    """Confirms the account's address through the emailed link, signed in to it."""
    token = mailed_token(stack, account["user"]["email"], "verify-email")
    assert token
    assert http.post(f"{base}/v1/auth/verify-email", json={"token": token}, headers=account["auth"], timeout=30).status_code == 200


def test_registering_an_address_first_takes_over_nothing(base, stack):
    http = new_session("127.0.0.31")
    alice = f"alice-{uuid.uuid4().hex[:10]}@company.io"
    mallory = register(http, base, alice, name="Mallory Attacker")
    company = register(http, base, f"owner-{uuid.uuid4().hex[:10]}@company.io", name="Company Owner")
    verify(http, base, stack, company)
    invited = http.post(f"{base}/v1/users", json={"name": "Alice", "email": alice, "role": "admin"}, headers=company["auth"])
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    assert "Mallory" not in invited.text and "eci_" not in invited.text
    assert http.get(f"{base}/v1/users", headers=company["auth"]).json()["meta"]["total"] == 1
    assert len(http.get(f"{base}/v1/auth/me", headers=mallory["auth"]).json()["workspaces"]) == 1
    assert "invit" not in http.get(f"{base}/v1/mailbox", headers=mallory["auth"]).text
    token = mailed_token(stack, alice, "accept-invitation")
    refused = http.post(f"{base}/v1/auth/accept-invitation", json={"token": token}, headers=mallory["auth"])
    assert refused.status_code == 403 and refused.headers["Content-Type"].startswith("application/json")
    assert len(http.get(f"{base}/v1/auth/me", headers=mallory["auth"]).json()["workspaces"]) == 1
    # The real Alice, from her inbox, sets her password: a new verified account joins.
    joined = http.post(f"{base}/v1/auth/accept-invitation", json={"token": token, "password": "alice-own-password"})
    assert joined.status_code == 200 and joined.json()["tenant"]["id"] == company["tenant"]["id"]
    assert joined.json()["user"]["id"] != mallory["user"]["id"]
    # Mallory's verification link, had she Alice's inbox later, is dead for good.
    late = http.post(f"{base}/v1/auth/verify-email", json={"token": mailed_token(stack, alice, "verify-email")},
                     headers=mallory["auth"])
    assert late.status_code == 422 and "token" in late.json()["errors"]


def test_the_verification_link_alone_verifies_nothing(base, stack):
    """Mallory registers with Alice's address; Alice opens the link from her inbox, signed out
    or signed in to an account of her own: Mallory's account stays unverified."""
    http = new_session("127.0.0.38")
    alice = f"alice-{uuid.uuid4().hex[:10]}@company.io"
    mallory = register(http, base, alice, name="Mallory Attacker")
    link = mailed_token(stack, alice, "verify-email")
    signed_out = http.post(f"{base}/v1/auth/verify-email", json={"token": link})
    assert signed_out.status_code == 401 and signed_out.headers["Content-Type"].startswith("application/json")
    own = register(http, base, f"alice-elsewhere-{uuid.uuid4().hex[:10]}@company.io", name="Alice")
    wrong = http.post(f"{base}/v1/auth/verify-email", json={"token": link}, headers=own["auth"])
    assert wrong.status_code == 422 and "token" in wrong.json()["errors"]
    assert http.get(f"{base}/v1/auth/me", headers=mallory["auth"]).json()["user"]["email_verified"] is False
    # The link was not used up: with its own account's session it verifies.
    mine = http.post(f"{base}/v1/auth/verify-email", json={"token": link}, headers=mallory["auth"])
    assert mine.status_code == 200 and mine.json()["email_verified"] is True


def test_the_admin_cannot_read_or_use_the_invitation_token(base, stack):
    http = new_session("127.0.0.32")
    owner = register(http, base, f"owner-{uuid.uuid4().hex[:10]}@company.io")
    bob = f"bob-{uuid.uuid4().hex[:10]}@company.io"
    created = http.post(f"{base}/v1/users", json={"name": "Bob", "email": bob}, headers=owner["auth"])
    first = mailed_token(stack, bob, "accept-invitation")
    listed = http.get(f"{base}/v1/invitations", headers=owner["auth"])
    resent = http.post(f"{base}/v1/invitations/{created.json()['id']}/resend", headers=owner["auth"])
    second = mailed_token(stack, bob, "accept-invitation")
    assert first != second
    for r in (created, listed, resent, http.get(f"{base}/v1/mailbox", headers=owner["auth"])):
        assert first not in r.text and second not in r.text and "eci_" not in r.text
    # The old link is dead; a revoked one too; errors are JSON naming the field.
    dead = http.post(f"{base}/v1/auth/accept-invitation", json={"token": first, "password": "admin-picked"})
    assert dead.status_code == 422 and "token" in dead.json()["errors"]
    assert http.delete(f"{base}/v1/invitations/{created.json()['id']}", headers=owner["auth"]).status_code == 200
    revoked = http.post(f"{base}/v1/auth/accept-invitation", json={"token": second, "password": "admin-picked"})
    assert revoked.status_code == 422
    assert http.post(f"{base}/v1/auth/login", json={"email": bob, "password": "admin-picked"}).status_code == 401
    # No password for someone else.
    r = http.post(f"{base}/v1/users", json={"name": "C", "email": f"c-{uuid.uuid4().hex[:8]}@x.io", "password": "password1"},
                  headers=owner["auth"])
    assert r.status_code == 422 and "password" in r.json()["errors"]


def test_registration_answers_alike_for_a_taken_address(base, stack):
    http = new_session("127.0.0.33")
    holder = register(http, base, f"holder-{uuid.uuid4().hex[:10]}@company.io", name="Holder")
    verify(http, base, stack, holder)
    taken = http.post(f"{base}/v1/auth/register", json={"name": "Probe", "email": holder["user"]["email"],
                                                        "password": "secret123", "workspace_name": "Probe"})
    free = http.post(f"{base}/v1/auth/register", json={"name": "Probe", "email": f"free-{uuid.uuid4().hex[:10]}@company.io",
                                                       "password": "secret123", "workspace_name": "Probe"})
    assert taken.status_code == free.status_code == 201
    shape = lambda body: {k: sorted(v) if isinstance(v, dict) else type(v).__name__ for k, v in body.items()}
    assert shape(taken.json()) == shape(free.json())
    assert "tried to create an EnterCRM account" in system_mail(stack, holder["user"]["email"])[-1]


def test_failed_sign_ins_slow_the_source_not_the_holder(base, stack):
    email = f"holder-{uuid.uuid4().hex[:10]}@company.io"
    register(new_session("127.0.0.34"), base, email)
    attacker, holder = new_session("127.0.0.35"), new_session("127.0.0.36")
    for _ in range(5):
        assert attacker.post(f"{base}/v1/auth/login", json={"email": email, "password": "guess-guess"}).status_code == 401
    waiting = attacker.post(f"{base}/v1/auth/login", json={"email": email, "password": "secret123"})
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) >= 1
    assert waiting.headers["Content-Type"].startswith("application/json") and waiting.json()["message"]
    ok = holder.post(f"{base}/v1/auth/login", json={"email": email, "password": "secret123"})
    assert ok.status_code == 200, ok.text


def test_password_reset_is_single_use_and_signs_out_everywhere(base, stack):
    http = new_session("127.0.0.37")
    email = f"forgot-{uuid.uuid4().hex[:10]}@company.io"
    user = register(http, base, email)
    known = http.post(f"{base}/v1/auth/password-reset", json={"email": email})
    unknown = http.post(f"{base}/v1/auth/password-reset", json={"email": f"nobody-{uuid.uuid4().hex}@company.io"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    bad = http.post(f"{base}/v1/auth/password-reset", json={"email": "not an address"})
    assert bad.status_code == 422 and "email" in bad.json()["errors"]
    token = mailed_token(stack, email, "reset-password")
    done = http.post(f"{base}/v1/auth/password-reset/confirm", json={"token": token, "password": "a-new-password"})
    assert done.status_code == 200
    assert http.get(f"{base}/v1/auth/me", headers=user["auth"]).status_code == 401
    again = http.post(f"{base}/v1/auth/password-reset/confirm", json={"token": token, "password": "attacker-choice"})
    assert again.status_code == 422 and "token" in again.json()["errors"]
    assert http.post(f"{base}/v1/auth/login", json={"email": email, "password": "a-new-password"}).status_code == 200
