"""GET /v1/dashboard (issue 23 part 1) through nginx: every figure against hand-made data of a
fixed week in 2025 and the week before it (customers inserted with their creation days,
events tracked with theirs), buckets filled, the validation of the parameters, another
workspace's data out of sight, a viewer reading it, and the rollups following an erasure.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from .support import new_session
from .test_customers import post_with_patience
from .test_roles import person

# The period [10 March, 17 March 2025) and the previous one [3 March, 10 March).
PERIOD = {"from": "2025-03-10", "to": "2025-03-17"}


def register(base: str, http: requests.Session, name: str) -> dict:
    r = post_with_patience(http, f"{base}/v1/auth/register", {
        "name": "Dana Board", "email": f"e2e-dash-{uuid.uuid4().hex[:10]}@company.com",
        "password": "secret123", "workspace_name": name,
    })
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    secret = http.post(f"{base}/v1/api-keys", json={"name": "Server"}, headers=auth).json()["key"]
    return {"auth": auth, "secret": secret, "tenant": r.json()["tenant"]["id"]}


def customer(stack, tenant: int, email: str, created: str) -> None:
    stack.run("db-shell", "-N", "-e",
              f"INSERT INTO customers (tenant_id, email, created_at, updated_at) VALUES ({tenant}, '{email}', '{created}', '{created}')")


@pytest.fixture(scope="module")
def ws(stack, base: str) -> dict:
    http = new_session("127.0.0.94")
    w = register(base, http, "Dashboard E2E")
    w["http"], w["base"] = http, base
    w["other"] = register(base, http, "Dashboard E2E other")
    tag = uuid.uuid4().hex[:6]
    w["emails"] = emails = {n: f"{n}-{tag}@dash.test" for n in ("c1", "c2", "c3", "c4")}
    customer(stack, w["tenant"], emails["c1"], "2025-03-04 09:00:00")  # previous period
    customer(stack, w["tenant"], emails["c2"], "2025-03-11 10:00:00")  # this period
    customer(stack, w["tenant"], emails["c3"], "2025-03-16 23:59:59")  # this period, its last second
    customer(stack, w["tenant"], emails["c4"], "2025-03-20 08:00:00")  # after it
    events = [
        {"type": "pageview", "customer_email": emails["c1"], "url": "https://shop.test/", "occurred_at": "2025-03-05T08:00:00Z"},
        {"event": "purchase", "customer_email": emails["c1"], "properties": {"amount": 40}, "occurred_at": "2025-03-06T12:00:00Z"},
        {"event": "purchase", "customer_email": emails["c1"], "properties": {"amount": 100}, "occurred_at": "2025-03-12T12:00:00Z"},
        {"event": "purchase", "customer_email": emails["c2"], "properties": {"amount": 50.5}, "occurred_at": "2025-03-11T10:30:00Z"},
        {"event": "purchase", "customer_email": emails["c2"], "properties": {"amount": 25}, "occurred_at": "2025-03-11T18:00:00Z"},
        {"type": "pageview", "customer_email": emails["c3"], "url": "https://shop.test/p", "occurred_at": "2025-03-16T23:59:59Z"},
        {"type": "pageview", "anonymous_id": f"anon-{tag}", "url": "https://shop.test/", "occurred_at": "2025-03-13T07:00:00Z"},
        {"type": "pageview", "customer_email": emails["c4"], "url": "https://shop.test/", "occurred_at": "2025-03-17T00:00:00Z"},
    ]
    r = http.post(f"{base}/v1/track/batch", json={"events": events}, headers={"X-API-Key": w["secret"]}, timeout=30)
    assert r.status_code == 200 and not r.json().get("errors"), r.text
    return w


def get(w: dict, who: dict | None = None, **query):
    return w["http"].get(f"{w['base']}/v1/dashboard", params=query, headers=(who or w)["auth"], timeout=30)


def test_the_figures_of_a_period_and_the_one_before(ws) -> None:
    r = get(ws, **PERIOD, interval="day")
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["from"], d["to"], d["interval"]) == ("2025-03-10", "2025-03-17", "day")
    assert d["previous"] == {"from": "2025-03-03", "to": "2025-03-10"}
    assert d["empty"] is False
    k = d["kpis"]
    figure = lambda key: (k[key]["value"], k[key]["previous"])
    assert figure("customers") == (3, 1)  # at the end of each period: c4 came later
    assert figure("new_customers") == (2, 1)
    assert figure("active_customers") == (3, 1)  # the anonymous visitor is no customer
    assert figure("events") == (5, 2)
    assert k["events"]["change"] == 1.5
    assert figure("orders") == (3, 1)
    assert figure("revenue") == (175.5, 40)
    assert figure("average_order_value") == (58.5, 40)
    assert k["revenue"]["change"] == pytest.approx(3.3875)
    assert k["customers"]["change"] == 2.0 and k["new_customers"]["change"] == 1.0
    assert figure("messages_sent") == (0, 0) and k["messages_sent"]["change"] is None
    assert k["human_open_rate"]["value"] is None and k["human_open_rate"]["unit"] == "percent"
    assert k["predicted_clv"]["value"] is None and k["predicted_clv"]["previous"] is None  # no recompute yet
    assert k["open_pipeline_value"]["value"] is None and d["funnel"] is None and d["pipelines"] == []


def test_every_bucket_is_there(ws) -> None:
    days = get(ws, **PERIOD, interval="day").json()["series"]
    assert [b["start"] for b in days] == [f"2025-03-{n}" for n in range(10, 17)]
    by_day = {b["start"]: b for b in days}
    assert by_day["2025-03-11"] == {"start": "2025-03-11", "end": "2025-03-12", "new_customers": 1, "events": 2, "orders": 2, "revenue": 75.5}
    assert by_day["2025-03-14"] == {"start": "2025-03-14", "end": "2025-03-15", "new_customers": 0, "events": 0, "orders": 0, "revenue": 0}
    assert by_day["2025-03-16"]["events"] == 1 and by_day["2025-03-16"]["new_customers"] == 1
    # Weeks start on Monday: the first one is cut to `from`, the last to `to`.
    weeks = get(ws, **{"from": "2025-03-05", "to": "2025-03-19", "interval": "week"}).json()["series"]
    assert [(b["start"], b["end"]) for b in weeks] == [("2025-03-05", "2025-03-10"), ("2025-03-10", "2025-03-17"), ("2025-03-17", "2025-03-19")]
    assert [b["events"] for b in weeks] == [2, 5, 1]
    months = get(ws, **{"from": "2025-01-01", "to": "2025-05-01", "interval": "month"}).json()["series"]
    assert [b["start"] for b in months] == ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]
    assert [b["events"] for b in months] == [0, 0, 8, 0] and months[2]["revenue"] == 215.5


@pytest.mark.parametrize("query, field", [
    ({"from": "2025-02-30", "to": "2025-03-10"}, "from"),
    ({"from": "10.03.2025"}, "from"),
    ({"to": "2025-3-1"}, "to"),
    ({"from": "2025-03-10", "to": "2025-03-10"}, "from"),
    ({"from": "2025-03-17", "to": "2025-03-10"}, "from"),
    ({"interval": "year"}, "interval"),
    ({"from": "2020-01-01", "to": "2025-01-01", "interval": "day"}, "interval"),
    ({"from": "1970-01-02", "to": "1970-01-10"}, "from"),
    ({"pipeline_id": "first"}, "pipeline_id"),
])
def test_bad_parameters_name_their_field(ws, query: dict, field: str) -> None:
    r = get(ws, **query)
    assert r.status_code == 422, f"{query}: {r.status_code} {r.text[:200]}"
    assert field in r.json()["errors"], r.text


def test_an_unknown_pipeline_is_not_found(ws) -> None:
    assert get(ws, pipeline_id="99999").status_code == 404


def test_another_workspace_sees_none_of_it(ws) -> None:
    d = get(ws, who=ws["other"], **PERIOD).json()
    assert d["empty"] is True
    assert all(tile["value"] in (0, None) for key, tile in d["kpis"].items() if key != "predicted_clv")
    assert d["latest_events"] == [] and all(b["events"] == 0 for b in d["series"])
    assert ws["http"].get(f"{ws['base']}/v1/dashboard", timeout=30).status_code == 401


def test_a_viewer_reads_it(stack, ws) -> None:
    viewer = person(stack, ws["tenant"], "viewer")
    r = get(ws, who=viewer, **PERIOD)
    assert r.status_code == 200, r.text
    assert r.json()["kpis"]["events"]["value"] == 5


def customers_of(ws) -> list[dict]:
    r = ws["http"].get(f"{ws['base']}/v1/customers", params={"per_page": 100}, headers=ws["auth"], timeout=30)
    return r.json()["data"]


def test_predicted_clv_is_the_sum_of_the_stored_predictions(ws) -> None:
    http, base = ws["http"], ws["base"]
    assert http.post(f"{base}/v1/analytics/recompute", json={}, headers=ws["auth"], timeout=30).status_code == 202
    deadline = time.monotonic() + 30
    while http.get(f"{base}/v1/analytics/clv", headers=ws["auth"], timeout=30).json()["as_of"] is None:
        assert time.monotonic() < deadline, "the recompute did not run"
        time.sleep(0.2)
    predictions = [c["clv_predicted"] for c in customers_of(ws) if c["clv_predicted"] is not None]
    assert predictions, "no customer got a prediction"
    tile = get(ws, **PERIOD).json()["kpis"]["predicted_clv"]
    assert tile["value"] == pytest.approx(sum(predictions)) and tile["customers"] == len(predictions)
    assert tile["as_of"] is not None


def test_an_erasure_leaves_the_figures_of_what_remains(ws) -> None:
    """Erasing c2 takes their events, orders, revenue, activity, creation and prediction out."""
    http, base = ws["http"], ws["base"]
    found = [c for c in customers_of(ws) if c["email"] == ws["emails"]["c2"]]
    assert len(found) == 1
    before = get(ws, **PERIOD).json()["kpis"]["predicted_clv"]
    assert http.delete(f"{base}/v1/customers/{found[0]['id']}", headers=ws["auth"], timeout=30).status_code == 200
    k = get(ws, **PERIOD).json()["kpis"]
    assert k["predicted_clv"]["value"] == pytest.approx(before["value"] - (found[0]["clv_predicted"] or 0))
    assert k["predicted_clv"]["customers"] == before["customers"] - (found[0]["clv_predicted"] is not None)
    assert (k["events"]["value"], k["orders"]["value"], k["revenue"]["value"]) == (3, 1, 100)
    assert (k["active_customers"]["value"], k["new_customers"]["value"], k["customers"]["value"]) == (2, 1, 2)
    assert (k["events"]["previous"], k["active_customers"]["previous"]) == (2, 1)
