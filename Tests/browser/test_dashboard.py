"""The home dashboard (issue 23 part 1) in the browser: the demo workspace's tiles against the
API's figures, a chart drawn by Chart.js (Debian's libjs-chart.js), the range picker changing
the address and the figures, links filtered to match, at 1280 px and 390 px without sideways
scrolling; and the first-run state of an empty workspace. Screenshots in the artifacts folder.
"""

from __future__ import annotations

import datetime

import pytest

from .support import Api, Console, new_driver

DEMO_EMAIL = "demo@entercrm.io"
DEMO_PASSWORD = "password"
WIDTHS = {1280: (1280, 900), 390: (390, 844)}

# A canvas with drawn pixels (Chart.js paints into it): how many are not transparent.
PAINTED = """
const canvas = document.querySelector(arguments[0] + ' canvas');
if (!canvas || !canvas.width || !canvas.height) return 0;
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let n = 0;
for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
return n;
"""


def shown(tile: dict) -> str:
    """The digits of a tile's value as the console prints it (grouping and currency aside)."""
    value = tile["value"]
    if value is None:
        return "—"
    if tile["unit"] == "percent":
        return f"{float(value):.1f}".replace(".", "")
    if tile["unit"] == "money":
        return f"{float(value):.2f}".replace(".", "")
    return str(int(value))


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit()) or text


def tiles_match(c: Console, figures: dict) -> None:
    for key in ("customers", "new_customers", "active_customers", "events", "revenue", "average_order_value",
                "messages_sent", "open_pipeline_value", "predicted_clv"):
        text = c.find(f"[data-testid='kpi-{key}']").text
        assert digits(text) == shown(figures["kpis"][key]), f"{key}: the tile says {text!r}, the API {figures['kpis'][key]}"


def dashboard(api: Api, **query) -> dict:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return api.request("GET", f"/v1/dashboard?{params}", expect=200)


@pytest.fixture
def demo_api(base):
    api = Api(base)
    api.token = api.login(DEMO_EMAIL, DEMO_PASSWORD)["token"]
    yield api
    api.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_dashboard_of_the_demo_workspace(base, demo_api, request, width) -> None:
    c = Console(new_driver(WIDTHS[width]), base, f"{request.node.name}", WIDTHS[width])
    try:
        c.sign_in_with_token(demo_api.token, "/dashboard")
        c.find("[data-testid='kpis']")
        today = datetime.datetime.now(datetime.timezone.utc).date()
        thirty = dashboard(demo_api, **{"from": today - datetime.timedelta(days=29), "to": today + datetime.timedelta(days=1)})
        assert not thirty["empty"] and thirty["kpis"]["events"]["value"] > 0
        tiles_match(c, thirty)
        # A change against the previous period, with its arrow and colour.
        changes = c.find_all(".kpi-tile .kpi-up, .kpi-tile .kpi-down")
        assert changes, "no tile shows a change"
        # The charts: drawn on their canvases.
        c.wait().until(lambda d: d.execute_script(PAINTED, ".card-chart") > 500)
        assert len(c.find_all(".card-chart canvas")) == 3
        # The funnel, segments, RFM bars and the live feed.
        assert c.find_all(".funnel-row"), "no funnel stage"
        assert c.find_all(".card-rfm .rfm-bar-link"), "no RFM bar"
        assert len(c.find_all("[data-testid='live-feed'] .feed-item")) == 10
        # The tiles link to the page behind them, filtered to match.
        href = c.find("[data-kpi='new_customers']").get_attribute("href")
        assert f"created_after={today - datetime.timedelta(days=29)}" in href and f"created_before={today}" in href
        c.assert_no_horizontal_overflow("the dashboard")
        c.shot("dashboard 30 days", full_page=True)

        # The range picker: 12 months, in the address and the figures.
        c.click("12 months", ".range-picker")
        c.wait().until(lambda d: "range=12m" in c.route())
        c.wait_ready()
        start = today.replace(day=1)
        for _ in range(11):
            start = (start - datetime.timedelta(days=1)).replace(day=1)
        year = dashboard(demo_api, **{"from": start, "to": today + datetime.timedelta(days=1), "interval": "month"})
        assert year["kpis"]["events"]["value"] > thirty["kpis"]["events"]["value"]
        c.wait().until(lambda d: digits(c.find("[data-testid='kpi-events']").text) == shown(year["kpis"]["events"]))
        tiles_match(c, year)
        assert len(year["series"]) == 12
        c.wait().until(lambda d: d.execute_script(PAINTED, ".card-chart") > 500)
        c.assert_no_horizontal_overflow("the dashboard over 12 months")
        c.shot("dashboard 12 months", full_page=True)

        # Custom days: both ends in the address, `until` included.
        c.click("Custom", ".range-picker")
        first, last = today - datetime.timedelta(days=13), today - datetime.timedelta(days=7)
        c.driver.execute_script(
            "const f = document.querySelector(\"input[name='from']\"), u = document.querySelector(\"input[name='until']\");"
            " f.value = arguments[0]; u.value = arguments[1];", str(first), str(last))
        c.click("Apply", ".range-picker")
        c.wait().until(lambda d: f"from={first}" in c.route() and f"until={last}" in c.route())
        c.wait_ready()
        week = dashboard(demo_api, **{"from": first, "to": last + datetime.timedelta(days=1)})
        c.wait().until(lambda d: digits(c.find("[data-testid='kpi-events']").text) == shown(week["kpis"]["events"]))
        tiles_match(c, week)
        c.shot("dashboard custom week")

        # A reload keeps the range (it is in the address).
        c.driver.refresh()
        c.wait_ready()
        c.wait().until(lambda d: digits(c.find("[data-testid='kpi-events']").text) == shown(week["kpis"]["events"]))
        assert c.severe_log() == []
    finally:
        c.driver.quit()


def test_dashboard_of_an_empty_workspace(account, desktop, mobile) -> None:
    for c in (desktop, mobile):
        c.sign_in_with_token(account["token"], "/dashboard")
        card = c.find(".card-first-run")
        assert "no customers or events yet" in card.text
        assert c.find_all(".card-first-run a[href='#/tracking']")
        assert not c.find_all("[data-testid='kpis']"), "an empty workspace shows zeros"
        c.assert_no_horizontal_overflow("the first-run dashboard")
        c.shot("dashboard first run")
