"""End-to-end tests: HTTPS through nginx to the FastCGI pool and MariaDB.

`make test` starts the stack in .run/test and sets:
  ENTERCRM_E2E_BASE       https://localhost:18443
  ENTERCRM_E2E_HTTP_BASE  http://localhost:18080
  ENTERCRM_RUN_DIR        the run directory (its entercrm.env has the rest)
  ENTERCRM_STACK          scripts/stack.sh, to restart MariaDB and reload the pool
Without them the tests take .run/test and the ports written in its entercrm.env, so
`python3 -m pytest Tests/e2e` works against a test stack started by hand.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from .support import Stack, new_session



def pytest_configure(config) -> None:
    # The test stack's certificate is self-signed.
    config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack()


@pytest.fixture(scope="session")
def base(stack: Stack) -> str:
    return stack.base


@pytest.fixture
def http() -> requests.Session:
    session = new_session()
    yield session
    session.close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:12]
