"""The Webhooks page (Settings → Webhooks) at 1280 and 375 px: an internal URL refused beside
its field, a subscription made (its secret shown once), a test event sent and seen delivered
in the log, a replay, pause and resume; no horizontal overflow."""

from __future__ import annotations

import http.server
import threading

import pytest

SINK_HOST = "127.77.0.1"  # the tests' sinks' address, allowed by make test (see Tests/e2e/support.py)


@pytest.fixture
def receiver():
    calls: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            calls.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.send_header("Content-Length", "17")
            self.end_headers()
            self.wfile.write(b'{"received":true}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((SINK_HOST, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://{SINK_HOST}:{server.server_address[1]}/hook", "calls": calls}
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_webhooks_page(request, account, api, receiver, size) -> None:
    c = request.getfixturevalue(size)
    c.allow_log(r"/v1/webhooks - Failed to load resource: the server responded with a status of 422")
    c.sign_in_with_token(account["token"], "/settings/webhooks")
    c.wait_heading("Webhooks")
    c.find(".card-webhooks .state-empty")
    c.shot("no webhooks yet")

    c.find("[data-action='create']").click()
    dialog = c.dialog()
    url = dialog.find_element("css selector", "[name='url']")
    url.send_keys("http://10.0.0.1/hook")
    dialog.find_element("css selector", "input[name='types'][value='customer.created']").click()
    dialog.find_element("css selector", "input[name='types'][value='event.tracked']").click()
    c.shot("new webhook form")
    dialog.find_element("css selector", "button[type='submit']").click()
    error = c.find(".modal .field[data-field='url'] .field-error")
    c.wait().until(lambda d: "public host" in error.text)
    c.shot("internal address refused beside the field")
    url.clear()
    url.send_keys(receiver["url"])
    dialog.find_element("css selector", "button[type='submit']").click()
    secret = c.find(".modal [data-copy-value='webhook-secret']")
    c.wait().until(lambda d: secret.get_attribute("value").startswith("whsec_"))
    c.shot("secret shown once")
    c.click("I have copied the secret")
    c.wait_no_dialog()

    row = c.find("tr[data-webhook-id]")
    assert receiver["url"] in row.text and "Active" in row.text
    c.find("tr[data-webhook-id] [data-action='test']").click()
    c.wait(20).until(lambda d: receiver["calls"])
    c.find("[data-action='reload-log']").click()
    c.wait(20).until(lambda d: d.find_elements("css selector", ".card-webhook-log tr[data-status='delivered']"))
    assert "webhook.test" in c.find(".card-webhook-log").text
    c.find(".card-webhook-log tr[data-attempt-id]")
    c.assert_no_horizontal_overflow("webhooks with a delivery log")
    c.shot("test event delivered, in the log", full_page=True)

    before = len(receiver["calls"])
    c.find(".card-webhook-log tr[data-status='delivered'] [data-action='replay']").click()
    c.wait(20).until(lambda d: len(receiver["calls"]) > before)

    c.find("tr[data-webhook-id] [data-action='toggle']").click()
    c.wait().until(lambda d: "Paused" in d.find_element("css selector", "tr[data-webhook-id]").text)
    assert c.find("tr[data-webhook-id] [data-action='test']").get_attribute("disabled") is not None
    c.shot("paused")
    c.find("tr[data-webhook-id] [data-action='toggle']").click()
    c.wait().until(lambda d: "Active" in d.find_element("css selector", "tr[data-webhook-id]").text)
    hooks = api.request("GET", "/v1/webhooks", token=account["token"], expect=200)["data"]
    assert [h["status"] for h in hooks] == ["active"]
