"""Browser tests of the console: headless Chromium (selenium) at 1280×900 and 375×812.

Environment:
  ENTERCRM_E2E_BASE    the stack under test (default https://localhost:18443, `make test`'s)
  ENTERCRM_ARTIFACTS   where screenshots go (default .run/test/artifacts)
  CHROMIUM, CHROMEDRIVER   other binaries than /usr/bin/chromium and /usr/bin/chromedriver

Each test registers its own account (a fresh email) and leaves a screenshot of every step.
After each test, the browser log must hold no SEVERE entry (a CSP violation, a script error
or an unexpected failed request) other than those the test said it expects.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from .support import DESKTOP, MOBILE, PASSWORD, Api, Console, base_url, new_driver, unique_email


def pytest_configure(config) -> None:
    config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def base() -> str:
    url = base_url()
    try:
        requests.get(f"{url}/v1/health", verify=False, timeout=10)
    except requests.RequestException as error:
        pytest.fail(f"the console is not reachable at {url} ({error}); start a stack (make test does)")
    return url


@pytest.fixture
def api(base):
    client = Api(base)
    yield client
    client.close()


@pytest.fixture
def account(api):
    """A new user with a new workspace, registered through the API, its address confirmed
    through the emailed link."""
    tag = uuid.uuid4().hex[:6]
    name = f"Ada Lovelace {tag}"
    email = unique_email("owner")
    workspace = f"Analytical Engines {tag}"
    result = api.register(name, email, workspace)
    api.verify(email)
    return {
        "name": name, "email": email, "password": PASSWORD, "workspace": workspace,
        "token": result["token"], "tenant": result["tenant"], "user": result["user"],
    }


@pytest.fixture
def console_factory(base, request):
    """console_factory(size) → a Console on a fresh Chromium of that viewport size."""
    consoles: list[Console] = []

    def make(size=DESKTOP) -> Console:
        driver = new_driver(size)
        console = Console(driver, base, request.node.name, size)
        consoles.append(console)
        return console

    yield make

    failed = getattr(request.node, "report_call", None)
    problems = []
    for console in consoles:
        try:
            if failed is not None and failed.failed:
                console.shot("failure")
            severe = console.severe_log()
            if severe:
                problems.append(f"{console.size[0]}px: " + "\n".join(severe))
        finally:
            console.driver.quit()
    if problems and not (failed is not None and failed.failed):
        pytest.fail("the browser log has SEVERE entries:\n" + "\n".join(problems))


@pytest.fixture
def desktop(console_factory) -> Console:
    return console_factory(DESKTOP)


@pytest.fixture
def mobile(console_factory) -> Console:
    return console_factory(MOBILE)
