"""tracker.js on a website of another origin: a small shop served from a second local port
embeds the snippet; in Chromium it queues an event before the script loads, navigates as a
single-page app and through a real link, identifies the visitor and records a purchase. The
API then shows one customer with every event, the anonymous ones included. Consent switched
off stops all sending."""

from __future__ import annotations

import http.server
import threading
import time
import uuid

import pytest

from .support import WAIT_SECONDS

STUB = "<script>window.entercrm=window.entercrm||function(){(entercrm.q=entercrm.q||[]).push(arguments)}</script>"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} · Test Shop</title>
{stub}
{before}
<script async src="{base}/tracker.js" data-key="{key}"></script>
</head>
<body>
<h1>{title}</h1>
<nav><a id="home" href="/">Home</a> <a id="about" href="/about.html">About us</a></nav>
<p>A shop on another origin than EnterCRM.</p>
</body>
</html>
"""

QUEUED_VIEW = "<script>entercrm('track', 'viewed_product', {product_id: 'sku_42', price: 59.9});</script>"
QUEUED_NO_CONSENT = "<script>entercrm('consent', false);</script>"


class Website:
    """A threaded HTTP server on 127.0.0.1 and a free port, serving a few fixed pages."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages
        website = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                path = self.path.split("?", 1)[0]
                body = website.pages.get(path)
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def publishable_key(api, account) -> str:
    key = api.request("POST", "/v1/api-keys", {"name": "Test shop", "type": "publishable"}, expect=201)["key"]
    assert key.startswith("eck_pub_")
    return key


@pytest.fixture
def website(base, publishable_key):
    def page(title, before=""):
        return PAGE.format(title=title, stub=STUB, before=before, base=base, key=publishable_key)

    site = Website({
        "/": page("Home", QUEUED_VIEW),
        "/about.html": page("About us"),
        "/private.html": page("Private", QUEUED_NO_CONSENT),
    })
    yield site
    site.close()


def poll(check, timeout: float = 10.0, interval: float = 0.25, what: str = "the condition"):
    """Calls `check()` until it returns something truthy, for up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} did not hold within {timeout} s (last: {last!r})")


def recent_events(api) -> list[dict]:
    return api.request("GET", "/v1/events?limit=50", expect=200)["data"]


def tracker_ready(c) -> str:
    """Waits for tracker.js on the current page; returns the visitor's anonymous id."""
    return c.wait(WAIT_SECONDS).until(lambda d: d.execute_script(
        "return window.__entercrmLoaded && window.entercrm && window.entercrm.anonymousId"))


def open_site(c, url: str) -> str:
    """Opens a page of the test shop and waits for tracker.js; returns the anonymous id."""
    c.driver.get(url)
    return tracker_ready(c)


def follow_link(c, css: str, path: str) -> str:
    """Clicks a real link of the shop and waits for the next page's tracker."""
    c.driver.find_element("css selector", css).click()
    c.wait().until(lambda d: d.execute_script("return location.pathname") == path)
    return tracker_ready(c)


def test_tracker_on_another_origin_identifies_and_purchases(desktop, api, website):
    c = desktop
    email = f"tracy-{uuid.uuid4().hex[:8]}@shop.test"
    # This shop trusts its own browsers' purchases (off by default: anyone can forge them).
    assert api.request("PUT", "/v1/workspace", {"count_browser_revenue": True}, expect=200)["count_browser_revenue"] is True

    # Load: the queued event and the pageview, anonymous; the script came from EnterCRM's origin.
    anonymous = open_site(c, f"{website.origin}/")
    assert c.driver.execute_script("return location.origin") == website.origin
    src = c.driver.execute_script("return document.querySelector('script[data-key]').src")
    assert src.startswith(c.base) and not src.startswith(website.origin)
    assert c.driver.execute_script("return document.cookie").count("entercrm_aid=") == 1
    c.shot("shop home")

    # A single-page-app navigation.
    c.driver.execute_script("history.pushState({}, '', '/app/cart')")
    # A real link to another page: the same anonymous id (first-party cookie and localStorage).
    poll(lambda: any(e["url"] == f"{website.origin}/app/cart" for e in recent_events(api)), what="the SPA pageview")
    assert follow_link(c, "#about", "/about.html") == anonymous
    c.shot("shop about page")

    def anonymous_history():
        mine = [e for e in recent_events(api) if e["anonymous_id"] == anonymous]
        return mine if len(mine) == 4 else None

    history = poll(anonymous_history, what="four anonymous events")
    assert all(e["customer_id"] is None for e in history), history
    pageviews = sorted(e["url"] for e in history if e["type"] == "pageview")
    assert pageviews == sorted([f"{website.origin}/", f"{website.origin}/app/cart", f"{website.origin}/about.html"])
    viewed = next(e for e in history if e["event"] == "viewed_product")
    assert viewed["properties"] == {"product_id": "sku_42", "price": 59.9}

    # The visitor identifies, then buys.
    c.driver.execute_script("entercrm('identify', arguments[0], {name: 'Tracy Tracker', city: 'Split', country: 'HR'})", email)
    c.driver.execute_script("entercrm('track', 'purchase', {amount: 59.90, currency: 'EUR', product_id: 'sku_42'})")
    c.shot("identified and purchased")

    def customer():
        found = api.request("GET", f"/v1/customers?email={email}", expect=200)["data"]
        if not found:
            return None
        person = found[0]
        return person if person["events_count"] == 5 and person["clv_total"] == 59.9 and person["name"] else None

    person = poll(customer, what="the customer with five events and 59.90 spent")
    assert person["name"] == "Tracy Tracker"
    assert person["city"] == "Split" and person["country"] == "HR"
    assert person["clv_order_count"] == 1 and person["clv_average_order"] == 59.9
    profile = api.request("GET", f"/v1/customers/{person['id']}", expect=200)
    assert profile["first_order_at"] and profile["last_seen_at"]

    # The anonymous history joined the customer.
    timeline = api.request("GET", f"/v1/customers/{person['id']}/events?per_page=50", expect=200)
    assert timeline["meta"]["total"] == 5
    events = timeline["data"]
    assert {e["event_id"] for e in history} <= {e["event_id"] for e in events}
    assert all(e["customer_id"] == person["id"] for e in events)
    assert all(e["anonymous_id"] == anonymous for e in events)
    assert events[0]["event"] == "purchase", "newest first"
    assert events[0]["properties"]["amount"] == 59.9
    assert sorted(e["url"] for e in events if e["type"] == "pageview") == pageviews

    # After identify, pageviews carry the customer from the start.
    c.driver.execute_script("history.pushState({}, '', '/thanks')")
    poll(lambda: api.request("GET", f"/v1/customers/{person['id']}", expect=200)["events_count"] == 6,
         what="the pageview after identify")

    # The console shows the customer with the purchase.
    c.sign_in_with_token(api.token, f"/customers/{person['id']}")
    c.wait_heading("Tracy Tracker")
    assert c.find(".metric[data-metric='clv_total'] .metric-value").text == "€59.90"
    c.wait().until(lambda d: len(c.find_all(".timeline-event")) == 6)
    c.shot("customer in the console")


def test_consent_off_stops_sending(desktop, api, website):
    c = desktop
    anonymous = open_site(c, f"{website.origin}/")
    poll(lambda: len([e for e in recent_events(api) if e["anonymous_id"] == anonymous]) == 2, what="the first pageview and event")

    # Consent withdrawn: nothing more is sent, not even after a page load.
    c.driver.execute_script("entercrm('consent', false)")
    assert c.driver.execute_script("return localStorage.getItem('entercrm_consent')") == "0"
    c.driver.execute_script("history.pushState({}, '', '/app/no-consent')")
    c.driver.execute_script("entercrm('track', 'should_not_arrive', {n: 1})")
    c.driver.execute_script("entercrm('identify', 'nobody@shop.test', {name: 'Nobody'})")
    assert follow_link(c, "#about", "/about.html") == anonymous
    c.shot("consent withdrawn")

    # Consent given again: sending resumes, so anything withheld would have arrived by now.
    c.driver.execute_script("entercrm('consent', true); entercrm('track', 'consent_given')")
    poll(lambda: any(e["event"] == "consent_given" and e["anonymous_id"] == anonymous for e in recent_events(api)),
         what="the event after consent")
    time.sleep(1)
    mine = [e for e in recent_events(api) if e["anonymous_id"] == anonymous]
    assert len(mine) == 3, mine
    assert not any(e["event"] == "should_not_arrive" for e in mine)
    assert not any((e["url"] or "").endswith(("/app/no-consent", "/about.html")) for e in mine)
    assert not api.request("GET", "/v1/customers?email=nobody@shop.test", expect=200)["data"]


def test_consent_queued_before_the_script_loads(desktop, api, website):
    c = desktop
    anonymous = open_site(c, f"{website.origin}/private.html")
    c.driver.execute_script("entercrm('track', 'still_private')")
    time.sleep(2)
    assert not any(e["anonymous_id"] == anonymous for e in recent_events(api)), "no pageview, no event"
    c.driver.execute_script("entercrm('consent', true); entercrm('page')")
    poll(lambda: any(e["anonymous_id"] == anonymous and e["type"] == "pageview" for e in recent_events(api)),
         what="the pageview after consent")
