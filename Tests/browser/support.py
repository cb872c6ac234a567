"""Helpers for the console's browser tests: headless Chromium, the API, screenshots."""

from __future__ import annotations

import base64
import os
import pathlib
import re
import time
import uuid

import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKEN_KEY = "entercrm.token"
PASSWORD = "correct-horse-42"
WAIT_SECONDS = 15

DESKTOP = (1280, 900)
MOBILE = (375, 812)

# The API calls of the tests (registrations, logins) come from an address of their own, so
# they do not spend the per-address login/registration budget of the browser (127.0.0.1).
API_SOURCE_ADDRESS = os.environ.get("ENTERCRM_BROWSER_API_SOURCE", "127.0.0.66")


def base_url() -> str:
    return os.environ.get("ENTERCRM_E2E_BASE", "https://localhost:18443").rstrip("/")


def artifacts_dir() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("ENTERCRM_ARTIFACTS", ".run/test/artifacts"))
    if not path.is_absolute():
        path = ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@browser.test"


# --- The API ---------------------------------------------------------------------------


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, address: str, **kwargs) -> None:
        self.source_address = (address, 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = self.source_address
        return super().init_poolmanager(*args, **kwargs)


class Api:
    """A small client of the /v1 API for arranging what a test needs."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token
        self.http = requests.Session()
        self.http.verify = False
        self.http.trust_env = False
        if base.startswith("https://localhost") or base.startswith("https://127."):
            adapter = SourceAddressAdapter(API_SOURCE_ADDRESS)
            self.http.mount("https://", adapter)
            self.http.mount("http://", adapter)

    def request(self, method: str, path: str, body=None, expect: int | None = None, token: str | None = None):
        headers = {"Accept": "application/json"}
        bearer = self.token if token is None else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        deadline = time.monotonic() + 120
        while True:
            response = self.http.request(method, self.base + path, json=body, headers=headers, timeout=30)
            if response.status_code != 429 or time.monotonic() > deadline:
                break
            time.sleep(float(response.headers.get("Retry-After", "2")) + 0.2)
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return response.json() if response.content else None

    def register(self, name: str, email: str, workspace: str, password: str = PASSWORD) -> dict:
        result = self.request("POST", "/v1/auth/register", {
            "name": name, "email": email, "password": password, "workspace_name": workspace,
        }, expect=201)
        self.token = result["token"]
        return result

    def login(self, email: str, password: str = PASSWORD, workspace: str | None = None) -> dict:
        body = {"email": email, "password": password}
        if workspace:
            body["workspace"] = workspace
        return self.request("POST", "/v1/auth/login", body, expect=200)

    def verify(self, email: str) -> None:
        """Confirms the address through the emailed link, as its holder would: signed in to
        the account this client registered."""
        token = mailed_token(email, "verify-email")
        assert token, f"no verification mail to {email}"
        self.request("POST", "/v1/auth/verify-email", {"token": token}, expect=200)

    def invite(self, name: str, email: str, role: str = "member", password: str = PASSWORD) -> dict:
        """Invites `email` to this client's workspace, then accepts as the new person through
        the emailed link; returns the accept answer (token, user, tenant)."""
        self.request("POST", "/v1/users", {"name": name, "email": email, "role": role}, expect=201)
        token = mailed_token(email, "accept-invitation")
        assert token, f"no invitation mail to {email}"
        return self.request("POST", "/v1/auth/accept-invitation", {"token": token, "password": password}, expect=200, token="")

    def close(self) -> None:
        self.http.close()


def mailed_token(to: str, page: str) -> str | None:
    """The token of the newest link to #/<page> in the system mail sent to `to`, read from the
    stack's development mailbox (the holder's inbox; the API never shows it)."""
    import email as email_module
    import email.policy

    run_dir = pathlib.Path(os.environ.get("ENTERCRM_RUN_DIR") or ROOT / ".run" / "test")
    directory = pathlib.Path(os.environ.get("ENTERCRM_MAIL_DIR") or run_dir / "mail")
    found = []
    for path in list(directory.glob("account-*.eml")) + list(directory.glob("address-*.eml")):
        message = email_module.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] is None or message["To"].addresses[0].addr_spec != to:
            continue
        match = re.search(rf"#/{re.escape(page)}\?token=(\S+)", message.get_body(preferencelist=("plain",)).get_content())
        if match:
            found.append((path.stat().st_mtime_ns, match.group(1)))
    return max(found)[1] if found else None


# --- The browser -----------------------------------------------------------------------


def chromium_binary() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if candidate and os.path.exists(candidate):
            return candidate
    raise RuntimeError("no Chromium found: apt-get install chromium chromium-driver")


def chromedriver_binary() -> str:
    for candidate in (os.environ.get("CHROMEDRIVER"), "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"):
        if candidate and os.path.exists(candidate):
            return candidate
    raise RuntimeError("no chromedriver found: apt-get install chromium-driver")


def new_driver(size: tuple[int, int]) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_binary()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--ignore-certificate-errors",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--password-store=basic",
        "--lang=en-US",
        "--force-color-profile=srgb",
        "--hide-scrollbars",
        f"--window-size={size[0]},{size[1]}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"credentials_enable_service": False, "profile.password_manager_enabled": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(chromedriver_binary()))
    driver.set_page_load_timeout(30)
    mobile = size[0] < 600
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile,
    })
    if mobile:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    return driver


class Console:
    """One browser on the console: navigation, waits, forms, screenshots and the log."""

    def __init__(self, driver: webdriver.Chrome, base: str, name: str, size: tuple[int, int]) -> None:
        self.driver = driver
        self.base = base
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        self.size = size
        self.step = 0
        self.screenshots: list[pathlib.Path] = []
        self.allowed_log = [re.compile(r"favicon\.ico")]
        self.log_entries: list[dict] = []
        try:
            origin = base.split("/", 3)[:3]
            self.driver.execute_cdp_cmd("Browser.grantPermissions", {
                "origin": "/".join(origin),
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            })
        except Exception:  # noqa: BLE001 - older Chromium: the copy button falls back
            pass

    # navigation ------------------------------------------------------------------------

    def open(self, route: str = "/login") -> None:
        self.driver.get(f"{self.base}/#{route}")
        self.wait_ready()

    def go(self, route: str) -> None:
        self.driver.execute_script("location.hash = arguments[0]", f"#{route}")
        self.wait_ready()

    def route(self) -> str:
        return self.driver.execute_script("return location.hash").lstrip("#")

    def wait_route(self, prefix: str, timeout: float = WAIT_SECONDS) -> None:
        try:
            self.wait(timeout).until(lambda d: self.route().split("?")[0] == prefix)
        except TimeoutException:
            raise AssertionError(f"expected route {prefix}, at {self.route()}; alert: {self.alert_text()!r}")
        self.wait_ready()

    def wait_ready(self) -> None:
        """Until the page has its h1 and nothing is loading."""
        self.wait().until(lambda d: d.execute_script(
            "return document.readyState === 'complete' && !document.querySelector('#app.boot')"
            " && !!document.querySelector('#app h1') && !document.querySelector('.state-loading')"))

    def sign_in_with_token(self, token: str, route: str = "/dashboard") -> None:
        self.driver.get(f"{self.base}/#/login")
        self.wait_ready()
        self.driver.execute_script("localStorage.setItem(arguments[0], arguments[1])", TOKEN_KEY, token)
        self.go(route)
        self.wait_route(route)

    def token(self) -> str | None:
        return self.driver.execute_script("return localStorage.getItem(arguments[0])", TOKEN_KEY)

    # finding ---------------------------------------------------------------------------

    def wait(self, timeout: float = WAIT_SECONDS) -> WebDriverWait:
        # Lists re-render when they reload: an element found a moment ago may be gone.
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,))

    def find(self, css: str, timeout: float = WAIT_SECONDS):
        return self.wait(timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def clickable(self, css: str, timeout: float = WAIT_SECONDS):
        return self.wait(timeout).until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))

    def button(self, text: str, within: str = "body", timeout: float = WAIT_SECONDS):
        """A visible, enabled button or link whose text (or aria-label) is `text`."""
        xpath = (f"//*[self::button or self::a][normalize-space(.)={xpath_literal(text)}"
                 f" or @aria-label={xpath_literal(text)}]")
        def present(driver):
            scope = driver.find_element(By.CSS_SELECTOR, within)
            for element in scope.find_elements(By.XPATH, "." + xpath):
                if element.is_displayed() and element.is_enabled():
                    return element
            return False
        return self.wait(timeout).until(present, f"no button {text!r} in {within}")

    def button_present(self, text: str) -> bool:
        xpath = (f"//*[self::button or self::a][normalize-space(.)={xpath_literal(text)}"
                 f" or @aria-label={xpath_literal(text)}]")
        return any(element.is_displayed() for element in self.driver.find_elements(By.XPATH, xpath))

    def click(self, text: str, within: str = "body") -> None:
        self.button(text, within).click()

    def heading(self) -> str:
        return self.find("#app h1").text

    def wait_heading(self, text: str) -> None:
        self.wait().until(lambda d: self.heading() == text, f"heading is not {text!r}")

    def alert_text(self) -> str:
        texts = self.driver.execute_script(
            "return [...document.querySelectorAll('[role=alert]')].filter(e => !e.hidden && e.offsetParent)"
            ".map(e => e.textContent.trim())")
        return " | ".join(texts)

    def dialog(self, timeout: float = WAIT_SECONDS):
        return self.find("dialog[open]", timeout)

    def wait_no_dialog(self) -> None:
        self.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))

    def toast(self, contains: str) -> None:
        self.wait().until(lambda d: any(contains in t.text for t in d.find_elements(By.CSS_SELECTOR, "#toasts .toast")),
                          f"no toast with {contains!r}")

    # forms -----------------------------------------------------------------------------

    def fill(self, fields: dict[str, str], within: str = "body") -> None:
        scope = self.find(within)
        for name, value in fields.items():
            control = scope.find_element(By.CSS_SELECTOR, f"[name='{name}']")
            if control.tag_name == "select":
                Select(control).select_by_value(value)
            else:
                control.clear()
                control.send_keys(value)

    def submit_auth_form(self, label: str, expect_route: str | None, within: str = "form") -> str:
        """Submits a sign-in or registration form and waits for the route `expect_route`, or
        (None) for an error in the form's alert region, which it returns. A 429 (nginx's
        per-address limit on sign-in and registration) is waited out and the form sent again."""
        deadline = time.monotonic() + 120

        def outcome(driver):
            if expect_route and self.route().split("?")[0] == expect_route:
                return "ok"
            try:
                for alert in driver.find_elements(By.CSS_SELECTOR, f"{within} .alert-error"):
                    if alert.is_displayed() and alert.text.strip():
                        return alert.text.strip()
            except StaleElementReferenceException:
                pass
            return False

        while True:
            self.click(label, within)
            try:
                result = self.wait().until(outcome)
            except TimeoutException:
                raise AssertionError(f"{label}: still at {self.route()}, alert {self.alert_text()!r}")
            if result == "ok":
                self.wait_ready()
                return ""
            if "Too many" in result and time.monotonic() < deadline:
                self.allow_log(r"status of 429")
                match = re.search(r"(\d+) second", result)
                time.sleep(int(match.group(1)) + 0.5 if match else 3)
                continue
            if expect_route:
                raise AssertionError(f"{label} failed: {result!r}")
            return result

    def in_frame(self, frame, script: str):
        """Runs `script` (a function body) in the document of `frame`, an email preview: a
        sandboxed frame of another origin, which the page's own scripts cannot read. None
        while the frame is not there or its document not written."""
        try:
            self.driver.switch_to.frame(frame)
            return self.driver.execute_script(script)
        except (StaleElementReferenceException, TimeoutException):
            return None
        finally:
            self.driver.switch_to.default_content()

    def frame_text(self, frame) -> str:
        return self.in_frame(frame, "return document.body ? document.body.innerText : ''") or ""

    # checks ----------------------------------------------------------------------------

    def scroll_overflow(self) -> tuple[int, int, float]:
        return tuple(self.driver.execute_script(
            "return [Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),"
            " document.documentElement.clientWidth, window.scrollX + (window.visualViewport?.offsetLeft || 0)]"))

    def assert_no_horizontal_overflow(self, what: str) -> None:
        width, viewport, offset = self.scroll_overflow()
        assert width <= viewport, f"{what}: the page is {width}px wide in a {viewport}px viewport"
        assert offset == 0, f"{what}: the page is scrolled {offset}px sideways"

    def allow_log(self, pattern: str) -> None:
        """Lets SEVERE log entries matching `pattern` pass (expected 4xx answers)."""
        self.allowed_log.append(re.compile(pattern))

    def collect_log(self) -> list[dict]:
        try:
            entries = self.driver.get_log("browser")
        except Exception:  # noqa: BLE001
            entries = []
        self.log_entries.extend(entries)
        return entries

    def severe_log(self) -> list[str]:
        self.collect_log()
        return [
            entry["message"] for entry in self.log_entries
            if entry.get("level") == "SEVERE" and not any(p.search(entry["message"]) for p in self.allowed_log)
        ]

    def shot(self, label: str, full_page: bool | None = None, path: pathlib.Path | None = None) -> pathlib.Path:
        """Saves a screenshot as <test>-<width>-<step>-<label>.png in the artifacts folder (or
        at `path`): the whole page on a desktop, what the screen shows on a phone (unless
        `full_page`)."""
        if full_page is None:
            full_page = self.size[0] >= 600
        self.step += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        path = path or artifacts_dir() / f"{self.name}-{self.size[0]}w-{self.step:02d}-{slug}.png"
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            content = metrics.get("cssContentSize") or metrics["contentSize"]
            height = max(self.size[1], int(content["height"]))
            params["clip"] = {"x": 0, "y": 0, "width": self.size[0], "height": min(height, 4000), "scale": 1}
        # A full-page capture of a scrolled page misplaces the sticky top bar: capture from
        # the top, then scroll back.
        scrolled = self.driver.execute_script("const y = scrollY; if (arguments[0]) scrollTo(0, 0); return y", full_page)
        try:
            data = self.driver.execute_cdp_cmd("Page.captureScreenshot", params)["data"]
        finally:
            if full_page and scrolled:
                self.driver.execute_script("scrollTo(0, arguments[0])", scrolled)
        path.write_bytes(base64.b64decode(data))
        self.screenshots.append(path)
        return path


def xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in parts) + ")"
