"""CSV imports of customers a chunk at a time (issue 25): the rows of a chunk written together
by CustomerWrites, the API's own write path, with every effect of the API's writes (search
words, counts, the dashboard, companies by domain and by name, profile history), a bad row
among good ones, an email repeated within a chunk, two spellings of one address (the chunk
then goes row by row), and the create and update modes."""

from __future__ import annotations

import datetime

from .test_imports import call, counts, customers, fresh, run, upload, ws  # noqa: F401 (ws: the fixture)


def lines(*rows: str) -> bytes:
    return "".join(f"{row}\n" for row in rows).encode()


def imported(w: dict, data: bytes, **settings) -> dict:
    """A file uploaded and run to its end."""
    r = upload(w, data)
    assert r.status_code == 201, r.text
    return run(w, r.json()["id"], **settings)


def test_a_chunk_written_together_keeps_every_effect(ws) -> None:
    """One chunk of rows written together (CustomerWrites): an update, new customers linked
    to a company by their email's domain and by the Company column, a bad row among them,
    an email repeated within the chunk, an unchanged row; then the search words, the counts,
    the companies' totals and the profile history are as the API's writes leave them."""
    w = fresh(ws, "Imports one chunk")
    assert call(w, "PUT", "/v1/workspace", json={"link_customers_by_email_domain": True}).status_code == 200
    r = call(w, "POST", "/v1/companies", json={"name": "Initech", "domain": "initech.test"})
    assert r.status_code == 201, r.text
    initech = r.json()["id"]
    r = call(w, "POST", "/v1/customers", json={"email": "old@chunk.test", "name": "Old Name", "city": "Zagreb"})
    assert r.status_code == 201, r.text
    old = r.json()["id"]
    data = lines("email,name,city,company", "old@chunk.test,New Name,Zagreb,", "ana@initech.test,Ana Kovačić,Split,",
                 "not-an-email,Bad,Split,", "ben@chunk.test,Ben Quimby,Rijeka,initech", "ana@initech.test,Ana Kovačić,Pula,",
                 "OLD@chunk.test,New Name,Zagreb,")
    done = imported(w, data)
    assert counts(done) == {"rows_total": 6, "rows_done": 6, "created": 2, "updated": 2, "unchanged": 1, "skipped": 0, "failed": 1}
    assert "line 4: email: " in call(w, "GET", f"/v1/imports/{done['id']}/errors.csv").text
    people = {c["email"]: c for c in customers(w)}
    assert set(people) == {"old@chunk.test", "ana@initech.test", "ben@chunk.test"}
    assert people["old@chunk.test"]["id"] == old and people["old@chunk.test"]["name"] == "New Name"
    assert people["ana@initech.test"]["city"] == "Pula"
    # Companies: Ana by her email's domain (the insert trigger), Ben by the Company column.
    ana = call(w, "GET", f"/v1/customers/{people['ana@initech.test']['id']}").json()
    ben = call(w, "GET", f"/v1/customers/{people['ben@chunk.test']['id']}").json()
    assert ana["company_id"] == initech and ben["company_id"] == initech
    assert call(w, "GET", f"/v1/companies/{initech}").json()["customers_count"] == 2
    # The search words of the new customers, and the workspace's count.
    assert [c["email"] for c in customers(w, q="kovacic")] == ["ana@initech.test"]
    assert [c["email"] for c in customers(w, q="quimby")] == ["ben@chunk.test"]
    assert call(w, "GET", "/v1/customers", params={"per_page": 1}).json()["meta"]["total"] == 3
    # The dashboard's new customers (its insert trigger, per row).
    today = datetime.datetime.now(datetime.timezone.utc).date()
    period = {"from": str(today - datetime.timedelta(days=1)), "to": str(today + datetime.timedelta(days=2))}
    assert call(w, "GET", "/v1/dashboard", params=period).json()["kpis"]["new_customers"]["value"] == 3
    # The profile history: the update of an existing customer, and the city of a customer
    # the chunk made and then changed; who made them (the importing member).
    changes = call(w, "GET", f"/v1/customers/{old}/export").json()["profile_changes"]
    assert [(c["field"], c["old"], c["new"], c["actor_type"]) for c in changes] == [("name", "Old Name", "New Name", "member")]
    changes = call(w, "GET", f"/v1/customers/{ana['id']}/export").json()["profile_changes"]
    assert [(c["field"], c["old"], c["new"]) for c in changes] == [("city", "Split", "Pula")]
    # The same file again: unchanged but for Ana's city, back and forth, and the bad row.
    again = imported(w, data)
    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (0, 2, 3, 1)
    changes = call(w, "GET", f"/v1/customers/{ana['id']}/export").json()["profile_changes"]
    assert [(c["old"], c["new"]) for c in changes] == [("Split", "Pula"), ("Pula", "Split"), ("Split", "Pula")]
    assert len(call(w, "GET", f"/v1/customers/{old}/export").json()["profile_changes"]) == 1


def test_one_address_under_two_spellings_in_a_chunk(ws) -> None:
    """Two new addresses that the unique index holds for one (accents folded) in one chunk:
    the chunk's insert meets the duplicate and the chunk is written row by row instead, so
    the second updates the customer the first made, and the other rows are as ever."""
    w = fresh(ws, "Imports two spellings")
    done = imported(w, lines("email,name,city", "first@spell.test,First,Split", "josé@spell.test,José,Osijek", "bad@,Bad,Split",
                             "jose@spell.test,José,Zadar", "last@spell.test,Last,Split"))
    assert counts(done) == {"rows_total": 5, "rows_done": 5, "created": 3, "updated": 1, "unchanged": 0, "skipped": 0, "failed": 1}
    people = {c["email"]: c for c in customers(w)}
    # The second spelling updated the customer, its email too (as the API's update writes it).
    assert set(people) == {"first@spell.test", "jose@spell.test", "last@spell.test"}
    assert people["jose@spell.test"]["city"] == "Zadar"
    assert "line 4: email: " in call(w, "GET", f"/v1/imports/{done['id']}/errors.csv").text


def test_modes_create_and_update_in_one_chunk(ws) -> None:
    w = fresh(ws, "Imports modes")
    assert call(w, "POST", "/v1/customers", json={"email": "known@mode.test", "name": "Known"}).status_code == 201
    data = lines("email,name", "known@mode.test,Changed", "new@mode.test,New", "new@mode.test,Again", ",No Email")
    created = imported(w, data, mode="create")
    assert (created["created"], created["skipped"], created["updated"], created["failed"]) == (2, 2, 0, 0)
    assert {c["name"] for c in customers(w)} == {"Known", "New", "No Email"}
    updated = imported(w, data, mode="update")
    # new@ is New already (unchanged), then Again; a row without an email cannot be found.
    assert (updated["created"], updated["updated"], updated["unchanged"], updated["skipped"], updated["failed"]) == (0, 2, 1, 0, 1)
    assert {c["name"] for c in customers(w)} == {"Changed", "Again", "No Email"}
