"""nginx rate limits: each credential (bearer token, or an API key in X-API-Key, EF-Access-Key
or ?key=; else the client address) may spend its minute of 1,000 requests at once, then gets
429 until its bucket refills at 1,000 a minute; login and registration also 10 a minute per
address; /v1/health is not limited.

A request that is let through may still be refused by the API (an unknown key answers
401), so "let through" here means "not 429". Each test uses credentials of its own, and
the address-keyed tests send from loopback addresses of their own (127.77.x.y), so that the
limits they exhaust touch no other test.

No assertion is on a duration: a burst may take a few seconds, during which the bucket
refills at 1,000 a minute, so the count let through is bounded by 1,000 plus that refill,
computed from the time the burst took.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from .support import new_session

PER_MINUTE = 1000
RATE_PER_SECOND = PER_MINUTE / 60


def assert_rate_limited(response, retry_after_max: int) -> None:
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "Too many requests. Slow down."}
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= retry_after_max


class Burst:
    """Sends `count` requests at once from `threads` keep-alive connections (each from
    `source`, a loopback address of the test's own) and keeps every response."""

    def __init__(self, source: str | None = None, threads: int = 24) -> None:
        self.source, self.threads = source, threads
        self.local = threading.local()

    def session(self):
        if not hasattr(self.local, "session"):
            self.local.session = new_session(self.source)
        return self.local.session

    def run(self, count: int, send) -> tuple[list, float]:
        started = time.monotonic()
        with ThreadPoolExecutor(self.threads) as pool:
            responses = list(pool.map(lambda _: send(self.session()), range(count)))
        return responses, time.monotonic() - started


def fresh_address() -> str:
    """A loopback address of this run's own (all of 127/8 is loopback), so that a test run
    again within the minute does not find its address's bucket still spent."""
    return f"127.77.{random.randint(0, 255)}.{random.randint(1, 254)}"


VARIANT_BURST = 60
# Requests a spent bucket may let through beyond what it regained: the last 429 of a burst
# may come a moment before the burst is over.
SLACK = 3


class Spent:
    """A bucket that was spent at `since` (the end of a burst whose last answers were 429)."""

    def __init__(self, source: str) -> None:
        self.source, self.since = source, time.monotonic()

    def check(self, send, what: str) -> None:
        """`send` draws on this bucket: of VARIANT_BURST requests at once, no more pass than
        the bucket regained since it was spent (a budget of its own would let all pass)."""
        responses, _ = Burst(self.source, threads=12).run(VARIANT_BURST, send)
        now = time.monotonic()
        passed = [r.status_code for r in responses if r.status_code != 429]
        assert len(passed) <= refill(now - self.since) + SLACK, \
            f"{what}: {len(passed)} of {VARIANT_BURST} passed, {now - self.since:.2f}s after the bucket was spent"
        assert_rate_limited(next(r for r in responses if r.status_code == 429), retry_after_max=60)
        self.since = now


def refill(seconds: float) -> int:
    """Requests the bucket may have regained while a burst took `seconds` (plus one)."""
    return int(RATE_PER_SECOND * seconds) + 1


def exhaust(send, source: str | None = None, count: int = PER_MINUTE + 100):
    """Spends a credential's bucket: `count` requests at once; returns (passed, responses, seconds)."""
    responses, seconds = Burst(source).run(count, send)
    passed = [r for r in responses if r.status_code != 429]
    return passed, responses, seconds


def test_a_key_may_spend_its_minute_at_once_then_gets_429(base, unique):
    """The published limit is the real one: 1,000 at once pass, the rest get 429 JSON with
    Retry-After (with nginx's old burst of 50, about 100 passed)."""
    key = f"eck_burst{unique}"
    url = f"{base}/v1/echo"
    passed, responses, seconds = exhaust(
        lambda s: s.post(url, json={"name": "burst"}, headers={"X-API-Key": key}, timeout=30))
    limited = [r for r in responses if r.status_code == 429]
    assert len(passed) >= PER_MINUTE, f"only {len(passed)} of {len(responses)} passed"
    assert len(passed) <= PER_MINUTE + refill(seconds), (len(passed), seconds)
    assert all(r.status_code == 200 for r in passed), sorted({r.status_code for r in passed})
    assert len(limited) >= 100 - refill(seconds), len(limited)
    for r in limited:
        assert_rate_limited(r, retry_after_max=60)
    # Another key is not touched by it.
    other = new_session().post(url, json={"name": "x"}, headers={"X-API-Key": f"eck_other{unique}"}, timeout=10)
    assert other.status_code == 200


def test_a_real_key_gets_its_minute_as_200s(base, unique):
    """The same with a real secret key on an endpoint that authenticates it: 1,000 answers
    of 200 at once, then 429."""
    http = new_session("127.0.0.211")
    r = http.post(f"{base}/v1/auth/register", timeout=30, json={
        "name": "Burst Owner", "email": f"burst-{unique}@rate.io", "password": "secret123",
        "workspace_name": f"Burst {unique}"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    key = http.post(f"{base}/v1/api-keys", json={"name": "burst"}, headers={"Authorization": f"Bearer {token}"},
                    timeout=30).json()["key"]
    url = f"{base}/v1/customers?per_page=1"
    passed, responses, seconds = exhaust(lambda s: s.get(url, headers={"X-API-Key": key}, timeout=30))
    assert PER_MINUTE <= len(passed) <= PER_MINUTE + refill(seconds), (len(passed), seconds)
    assert {r.status_code for r in passed} == {200}
    assert_rate_limited([r for r in responses if r.status_code == 429][0], retry_after_max=60)
    # The bucket is the key's, in whichever place the key comes: EF-Access-Key is limited too.
    Spent("127.0.0.211").check(lambda s: s.get(url, headers={"EF-Access-Key": key}, timeout=30), "EF-Access-Key")
    # The bearer token of the same workspace is a credential of its own.
    assert http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 200


def test_bearer_letter_case_and_spaces_share_one_budget(base, unique):
    """nginx keys a bearer token as the application parses it: "bearer", "BEARER", extra
    spaces or a tab do not buy a fresh budget."""
    token = f"made.up-{unique}"
    url = f"{base}/v1/echo"
    source = fresh_address()
    passed, _, seconds = exhaust(
        lambda s: s.post(url, json={"name": "x"}, headers={"Authorization": f"Bearer {token}"}, timeout=30),
        source=source)
    assert PER_MINUTE <= len(passed) <= PER_MINUTE + refill(seconds)
    spent = Spent(source)
    for variant in (f"bearer {token}", f"BEARER {token}", f"Bearer   {token}", f"Bearer\t{token}",
                    f"bEaReR  {token}  "):
        spent.check(lambda s: s.post(url, json={"name": "x"}, headers={"Authorization": variant}, timeout=10),
                    repr(variant))
    # Another token is another budget.
    r = new_session(source).post(url, json={"name": "x"}, headers={"Authorization": f"Bearer other-{unique}"}, timeout=10)
    assert r.status_code == 200


def test_malformed_credentials_are_limited_on_the_address(base, unique):
    """What the application would refuse as malformed (not a Bearer token, not a key's
    shape) is keyed on the client address, so made-up shapes buy no fresh budget."""
    source = fresh_address()
    url = f"{base}/v1/echo"
    passed, _, seconds = exhaust(lambda s: s.post(url, json={"name": "x"}, timeout=30), source=source)
    assert PER_MINUTE <= len(passed) <= PER_MINUTE + refill(seconds)
    spent = Spent(source)
    for headers in ({"Authorization": f"Basic {unique}"}, {"Authorization": f"Bearer a b {unique}"},
                    {"X-API-Key": f"not-a-key-{unique}"}, {"EF-Access-Key": f"eck_{unique}!"}):
        spent.check(lambda s: s.post(url, json={"name": "x"}, headers=headers, timeout=10), str(headers))


def test_requests_without_credentials_are_limited_per_address_and_health_is_not(base):
    url = f"{base}/v1/echo"
    source = fresh_address()
    passed, responses, seconds = exhaust(lambda s: s.post(url, json={"name": "x"}, timeout=30), source=source)
    assert PER_MINUTE <= len(passed) <= PER_MINUTE + refill(seconds), (len(passed), seconds)
    assert_rate_limited([r for r in responses if r.status_code == 429][-1], retry_after_max=60)
    Spent(source).check(lambda s: s.post(url, json={"name": "x"}, timeout=10), "the same address again")
    http = new_session(source)
    # The neighbouring address has its own budget; health is never limited.
    assert new_session(fresh_address()).post(url, json={"name": "x"}, timeout=10).status_code == 200
    health = [http.get(f"{base}/v1/health", timeout=10).status_code for _ in range(20)]
    assert set(health) == {200}, health


def test_tracking_url_key_variants_get_no_budget_of_their_own(base, unique):
    """On /v1/track the budget is per credential and address. A publishable key in ?key=
    spends the same budget as in X-API-Key; written otherwise (letter case of the name, other
    parameters around it) it is the same budget, and percent-encoded it is no key at all."""
    key = f"eck_pub_made{unique}"
    url = f"{base}/v1/track/event"
    source = fresh_address()
    body = {"event": "x", "anonymous_id": "a"}
    passed, _, seconds = exhaust(
        lambda s: s.post(f"{url}?key={key}", json=body, timeout=30), source=source)
    assert PER_MINUTE <= len(passed) <= PER_MINUTE + refill(seconds), (len(passed), seconds)
    spent = Spent(source)
    for variant, headers in ((f"?KEY={key}", {}), (f"?Key={key}&x=1", {}), (f"?a=b&key={key}", {}),
                             ("", {"X-API-Key": key}), ("", {"EF-Access-Key": key})):
        spent.check(lambda s: s.post(f"{url}{variant}", json=body, headers=headers, timeout=10),
                    f"{variant} {headers}")
    # Percent-encoded it is not a key at all: refused, whatever its budget.
    encoded = key.replace("_", "%5F")
    r = new_session(source).post(f"{url}?key={encoded}", json=body, timeout=10)
    assert r.status_code in (401, 429), r.status_code
    assert r.headers["Content-Type"].startswith("application/json")


def test_login_is_limited_per_address(base):
    session = new_session("127.0.0.5")
    statuses: list[int] = []
    started = time.monotonic()
    last = None
    # A new address each time: the application's own throttle (5 failures for one address
    # from one client, test_accounts.py) would otherwise answer before nginx's limit.
    while len(statuses) < 60 and statuses.count(429) < 3:
        last = session.post(f"{base}/v1/auth/login",
                            json={"email": f"nobody-{uuid.uuid4().hex[:12]}@example.com", "password": "wrong"}, timeout=30)
        statuses.append(last.status_code)
    seconds = time.monotonic() - started
    let_through = sum(1 for status in statuses if status != 429)
    assert statuses.count(429) >= 3, statuses
    assert let_through <= 10 + 1 + int(seconds * 10 / 60) + 1, (let_through, seconds)
    assert_rate_limited(last, retry_after_max=60)
    # Registration shares the per-address budget; another address is unaffected.
    assert session.post(f"{base}/v1/auth/register", json={}, timeout=30).status_code == 429
    other = new_session("127.0.0.6").post(f"{base}/v1/auth/login",
                                          json={"email": "nobody@example.com", "password": "x"},
                                          timeout=30)
    assert other.status_code != 429
