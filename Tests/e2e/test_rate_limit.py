"""nginx rate limits: 1,000 requests a minute per credential (X-API-Key, EF-Access-Key,
bearer token, else the client address), 10 a minute per address on login/registration.

A request that is let through may still be refused by the API (an unknown key answers
401), so "let through" here means "not 429". Each test uses credentials of its own, and
the address-keyed tests send from their own loopback addresses (127.0.0.x), so that the
limits they exhaust touch no other test.
"""

from __future__ import annotations

import threading
import time
import uuid

from .support import new_session

RATE_PER_SECOND = 1000 / 60
BURST = 50
SLACK = 10


def assert_rate_limited(response, retry_after_max: int) -> None:
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "Too many requests. Slow down."}
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= retry_after_max


def test_one_key_is_limited_and_another_is_not(base, unique):
    key_a, key_b = f"test-key-a-{unique}", f"test-key-b-{unique}"
    url = f"{base}/v1/echo"
    window = 10.0
    stop = threading.Event()
    lock = threading.Lock()
    statuses_a: list[int] = []
    limited: list = []

    def send_as_a() -> None:
        session = new_session()
        for _ in range(50_000):
            if stop.is_set():
                break
            response = session.post(url, json={"name": "rate"}, headers={"X-API-Key": key_a},
                                    timeout=10)
            with lock:
                statuses_a.append(response.status_code)
                if response.status_code == 429 and len(limited) < 3:
                    limited.append(response)
        session.close()

    senders = [threading.Thread(target=send_as_a, daemon=True) for _ in range(2)]
    started = time.monotonic()
    for sender in senders:
        sender.start()

    # Key b asks now and then while key a is being limited: it is never refused.
    session_b = new_session()
    statuses_b = []
    while time.monotonic() - started < window:
        time.sleep(0.5)
        response = session_b.post(url, json={"name": "rate"}, headers={"X-API-Key": key_b},
                                  timeout=10)
        statuses_b.append(response.status_code)
    stop.set()
    for sender in senders:
        sender.join(15)
    elapsed = time.monotonic() - started

    assert limited, f"key a was never limited in {len(statuses_a)} requests"
    assert_rate_limited(limited[0], retry_after_max=60)
    assert all(status < 500 for status in statuses_a), sorted(set(statuses_a))

    let_through = sum(1 for status in statuses_a if status != 429)
    budget = BURST + 1 + RATE_PER_SECOND * elapsed
    assert let_through <= budget + SLACK, (let_through, budget)
    # ... and it is the advertised budget, not a stricter one.
    assert let_through >= 0.8 * budget, (let_through, budget)

    assert statuses_b and 429 not in statuses_b, statuses_b
    assert all(status < 500 for status in statuses_b), statuses_b


def send_until_limited(send, limited: int = 3, max_requests: int = 1000, max_seconds: float = 30):
    """Calls send() until `limited` answers were 429 (bounded); returns the statuses, the
    seconds it took and the last response."""
    statuses: list[int] = []
    started = time.monotonic()
    last = None
    while len(statuses) < max_requests and time.monotonic() - started < max_seconds:
        last = send()
        statuses.append(last.status_code)
        if statuses.count(429) >= limited:
            break
    return statuses, time.monotonic() - started, last


def assert_within_budget(statuses: list[int], seconds: float, burst: int, per_second: float) -> None:
    assert statuses.count(429) >= 3, f"never limited: {len(statuses)} requests in {seconds:.1f}s"
    let_through = sum(1 for status in statuses if status != 429)
    budget = burst + 1 + per_second * seconds
    assert let_through <= budget + 2, (let_through, budget)


def test_bearer_token_and_ef_access_key_are_credentials_too(base, unique):
    url = f"{base}/v1/echo"
    session = new_session("127.0.0.2")
    token = {"Authorization": f"Bearer token-{unique}"}
    statuses, seconds, last = send_until_limited(
        lambda: session.post(url, json={"name": "x"}, headers=token, timeout=10))
    assert_within_budget(statuses, seconds, BURST, RATE_PER_SECOND)
    assert_rate_limited(last, retry_after_max=60)
    # Same address, another credential: its own budget.
    other = session.post(url, json={"name": "x"}, headers={"EF-Access-Key": f"ef-{unique}"},
                         timeout=10)
    assert other.status_code != 429
    other = session.post(url, json={"name": "x"}, headers={"Authorization": f"Bearer other-{unique}"},
                         timeout=10)
    assert other.status_code != 429


def test_requests_without_credentials_are_limited_per_address(base):
    url = f"{base}/v1/echo"
    session = new_session("127.0.0.3")
    statuses, seconds, last = send_until_limited(
        lambda: session.post(url, json={"name": "x"}, timeout=10))
    assert_within_budget(statuses, seconds, BURST, RATE_PER_SECOND)
    assert_rate_limited(last, retry_after_max=60)
    neighbour = new_session("127.0.0.4").post(url, json={"name": "x"}, timeout=10)
    assert neighbour.status_code != 429


def test_login_is_limited_per_address(base):
    session = new_session("127.0.0.5")
    # A new address each time: the application's own throttle (5 failures for one address
    # from one client, test_accounts.py) would otherwise answer before nginx's limit.
    addresses = (f"nobody-{uuid.uuid4().hex[:12]}@example.com" for _ in iter(int, 1))
    statuses, seconds, last = send_until_limited(
        lambda: session.post(f"{base}/v1/auth/login",
                             json={"email": next(addresses), "password": "wrong"}, timeout=30),
        max_requests=60, max_seconds=90)
    assert_within_budget(statuses, seconds, burst=10, per_second=10 / 60)
    assert_rate_limited(last, retry_after_max=60)
    # Registration shares the per-address budget; another address is unaffected.
    assert session.post(f"{base}/v1/auth/register", json={}, timeout=30).status_code == 429
    other = new_session("127.0.0.6").post(f"{base}/v1/auth/login",
                                          json={"email": "nobody@example.com", "password": "x"},
                                          timeout=30)
    assert other.status_code != 429
