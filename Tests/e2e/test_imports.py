"""CSV imports and list exports through nginx (issue 25 parts 1 and 2).

Imports: files with a BOM, semicolons, Windows-1252 accents, UTF-16, quoted commas and
newlines, duplicate emails and 5 % bad rows; every count, the errors file, a dry run that
writes nothing, idempotency on re-import, resume after the job runner is killed with
SIGKILL, cancel, entries of a CRM entity, another workspace's import (404) and roles.
Exports: the lists' filters, sort and columns, formula neutralisation, the audit entry."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import time
import uuid

import pytest
import requests

from .support import new_session
from .test_companies import register
from .test_roles import person


@pytest.fixture(scope="module")
def ws(stack, base: str) -> dict:
    http = new_session("127.0.0.171")
    w = register(http, base, "Imports E2E")
    w["http"], w["base"], w["stack"] = http, base, stack
    for role in ("admin", "member", "viewer"):
        w[role] = person(stack, w["tenant"], role)
    w["other"] = register(http, base, "Imports E2E elsewhere")
    return w


def fresh(ws: dict, name: str) -> dict:
    """A workspace of its own (counts of customers start at 0)."""
    w = register(ws["http"], ws["base"], name)
    w["http"], w["base"], w["stack"] = ws["http"], ws["base"], ws["stack"]
    return w


def call(w: dict, method: str, path: str, auth: dict | None = None, **kwargs) -> requests.Response:
    return w["http"].request(method, f"{w['base']}{path}", headers=auth or w["auth"], timeout=60, **kwargs)


def upload(w: dict, data: bytes, target: str = "customers", auth: dict | None = None,
           content_type: str = "text/csv") -> requests.Response:
    headers = dict(auth or w["auth"], **{"Content-Type": content_type})
    return w["http"].post(f"{w['base']}/v1/imports?target={target}&filename=test.csv", data=data, headers=headers, timeout=120)


def wait(w: dict, import_id: int, until=lambda i: i["status"] in ("done", "failed", "cancelled"), timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        current = call(w, "GET", f"/v1/imports/{import_id}").json()
        if until(current) or time.monotonic() > deadline:
            return current
        time.sleep(0.3)


def run(w: dict, import_id: int, **settings) -> dict:
    if settings:
        r = call(w, "PUT", f"/v1/imports/{import_id}", json=settings)
        assert r.status_code == 200, r.text
    r = call(w, "POST", f"/v1/imports/{import_id}/start")
    assert r.status_code == 202, r.text
    done = wait(w, import_id)
    assert done["status"] == "done", done
    return done


def counts(i: dict) -> dict:
    return {k: i[k] for k in ("rows_total", "rows_done", "created", "updated", "unchanged", "skipped", "failed")}


def customers(w: dict, **filters) -> list[dict]:
    r = call(w, "GET", "/v1/customers", params={"per_page": 100, "sort": "name", "order": "asc", **filters})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def troubled_file() -> tuple[bytes, list[int]]:
    """100 rows, semicolons, a BOM, CRLF: 90 new people (some with quoted delimiters and
    newlines), 5 repeats of earlier emails with another city, 5 bad rows. Also the lines of
    the bad rows (a quoted newline makes a row two lines long)."""
    lines = ["E-mail Address;First Name;Last Name;Phone Number;City;Notes"]
    bad_lines: list[int] = []
    bad = {10: "not-an-email;Bad;Row;;Zagreb;x", 30: "bad30@imp.test;Bad;Phone;call me;Zagreb;x",
           50: "many50@imp.test;Too;Many;;Zagreb;x;y;z", 70: "@imp.test;No;Local;;Zagreb;x",
           # Last: a quote never closed runs to the end of the file.
           99: "\"unclosed@imp.test;Open;Quote;;Zagreb;x"}
    line = 1
    for i in range(100):
        if i in bad:
            lines.append(bad[i])
            line += 1
            bad_lines.append(line)
        elif i % 20 == 19 or i == 95:
            lines.append(f"p{i - 10}@imp.test;Person;{i - 10};;Rijeka;repeat")
            line += 1
        elif i % 7 == 0:
            lines.append(f"p{i}@imp.test;Željka;\"Horvat; Kovač\";+385 1 {i};Split;\"first line\r\nsecond, line\"")
            line += 2
        else:
            lines.append(f"p{i}@imp.test;Person;{i};;Zagreb;")
            line += 1
    return "\ufeff".encode() + "\r\n".join(lines).encode() + b"\r\n", bad_lines


def test_a_troubled_file_dry_run_then_run_then_again(ws) -> None:
    w = fresh(ws, "Imports troubled")
    data, bad_lines = troubled_file()
    r = upload(w, data)
    assert r.status_code == 201, r.text
    up = r.json()
    assert up["status"] == "uploaded"
    assert (up["encoding"], up["bom"], up["delimiter"]) == ("utf-8", True, "semicolon")
    assert up["header"] == ["E-mail Address", "First Name", "Last Name", "Phone Number", "City", "Notes"]
    assert up["mapping"] == ["email", "first_name", "last_name", "phone", "city", "properties.notes"]
    assert len(up["preview"]) == 20
    assert up["preview"][0] == ["p0@imp.test", "Željka", "Horvat; Kovač", "+385 1 0", "Split", "first line\r\nsecond, line"]
    assert up["preview_records"][0]["name"] == "Željka Horvat; Kovač"
    assert up["preview_records"][0]["properties"] == {"notes": "first line\r\nsecond, line"}

    dry = run(w, up["id"], dry_run=True)
    expected = {"rows_total": 100, "rows_done": 100, "created": 90, "updated": 5, "unchanged": 0, "skipped": 0, "failed": 5}
    assert counts(dry) == expected
    assert customers(w) == [], "a dry run writes nothing"

    done = run(w, up["id"], dry_run=False)
    assert counts(done) == expected
    assert done["rows_per_second"] and done["rows_per_second"] > 0
    people = customers(w)
    assert len(people) == 90
    profile = [c for c in customers(w, email="p0@imp.test")][0]
    assert profile["name"] == "Željka Horvat; Kovač" and profile["city"] == "Split"
    full = call(w, "GET", f"/v1/customers/{profile['id']}").json()
    assert full["properties"]["notes"] == "first line\r\nsecond, line"
    # A repeated email updated the first row's customer.
    assert customers(w, email="p9@imp.test")[0]["city"] == "Rijeka"

    errors = call(w, "GET", f"/v1/imports/{up['id']}/errors.csv")
    assert errors.status_code == 200 and errors.headers["content-type"].startswith("text/csv")
    rows = errors.text.split("\r\n")
    assert rows[0] == "E-mail Address;First Name;Last Name;Phone Number;City;Notes;error"
    body = [r for r in rows[1:] if r]
    assert len(body) == 5
    assert body[0].startswith("not-an-email;Bad;Row;;Zagreb;x;")
    # Each failed row as it was read, then "line N: field: why" (quoted when it holds a comma).
    assert [int(re.search(r";\"?line (\d+): ", r).group(1)) for r in body] == bad_lines
    assert "email" in body[0] and "phone" in body[1] and "8 fields" in body[2] and "email" in body[3]
    assert "quote" in body[4].lower() and body[4].startswith('"unclosed@imp.test;Open;Quote;;Zagreb;x;')

    # The same file again: nothing changes; the repeated emails update back and forth.
    before = [(c["email"], c["name"], c["city"], c["phone"]) for c in customers(w)]
    again = upload(w, data).json()
    second = run(w, again["id"])
    assert counts(second) == {"rows_total": 100, "rows_done": 100, "created": 0, "updated": 10, "unchanged": 85,
                              "skipped": 0, "failed": 5}
    assert [(c["email"], c["name"], c["city"], c["phone"]) for c in customers(w)] == before

    listed = call(w, "GET", "/v1/imports").json()
    assert [i["id"] for i in listed["data"]][:2] == [again["id"], up["id"]]
    assert listed["data"][1]["failed"] == 5 and listed["data"][1]["errors_url"] == f"/v1/imports/{up['id']}/errors.csv"


def test_windows_1252_with_quoted_commas(ws) -> None:
    w = fresh(ws, "Imports cp1252")
    text = "Name,Email,City,Company\r\n\"Müller, Jürgen\",jm@imp.test,Köln,Acme\r\nRenée Côté,rc@imp.test,\"Montréal, QC\",\r\n"
    # A byte Windows-1252 has no character for (0x81): that row fails with its line, the rest goes on.
    r = upload(w, text.encode("cp1252") + b"Bad \x81 Byte,bb@imp.test,Wien,\r\n")
    assert r.status_code == 201, r.text
    up = r.json()
    assert (up["encoding"], up["bom"], up["delimiter"]) == ("windows-1252", False, "comma")
    assert up["mapping"] == ["name", "email", "city", "company"]
    done = run(w, up["id"])
    assert (done["created"], done["failed"]) == (2, 1)
    assert "line 4: The row has bytes that are not windows-1252 text." in call(w, "GET", f"/v1/imports/{up['id']}/errors.csv").text
    people = {c["email"]: c for c in customers(w)}
    assert people["jm@imp.test"]["name"] == "Müller, Jürgen" and people["jm@imp.test"]["city"] == "Köln"
    assert people["rc@imp.test"]["city"] == "Montréal, QC"
    # No company "Acme" in the workspace: the name is kept as a property.
    assert call(w, "GET", f"/v1/customers/{people['jm@imp.test']['id']}").json()["properties"]["company"] == "Acme"


def test_companies_from_utf16_tabs_update_by_domain(ws) -> None:
    w = fresh(ws, "Imports companies")
    text = "Company Name\tWebsite\tIndustry\tEmployees\r\nAcme\thttps://www.acme.test/\tRetail\t11-50\r\nGlobex\tglobex.test\tEnergy\t5001-10000\r\n"
    r = upload(w, b"\xff\xfe" + text.encode("utf-16-le"), target="companies")
    assert r.status_code == 201, r.text
    up = r.json()
    assert (up["encoding"], up["bom"], up["delimiter"]) == ("utf-16le", True, "tab")
    assert up["mapping"] == ["name", "domain", "industry", "size"]
    assert counts(run(w, up["id"]))["created"] == 2
    companies = call(w, "GET", "/v1/companies", params={"sort": "name", "order": "asc"}).json()["data"]
    assert [(c["name"], c["domain"], c["size"]) for c in companies] == [("Acme", "acme.test", "11-50"), ("Globex", "globex.test", "5001-10000")]
    # Update only, by domain: the industry changes, an unknown domain is skipped.
    changed = "Website,Industry\r\nacme.test,Wholesale\r\nnew.test,Mining\r\n".encode()
    second = upload(w, changed, target="companies").json()
    done = run(w, second["id"], mode="update")
    assert (done["updated"], done["skipped"], done["created"]) == (1, 1, 0)
    assert call(w, "GET", "/v1/companies", params={"domain": "acme.test"}).json()["data"][0]["industry"] == "Wholesale"


def test_entries_of_an_entity_keyed_on_reference(ws) -> None:
    w = fresh(ws, "Imports entries")
    crm = f"{w['base']}/api/brands/{w['tenant']}/crm"
    r = w["http"].post(f"{crm}/entities", headers=w["auth"], json={"name": "Deals", "slug": "deals", "preset": "deals"}, timeout=30)
    assert r.status_code == 201, r.text
    entity = w["http"].get(f"{crm}/entities/deals", headers=w["auth"], timeout=30).json()["id"]
    text = "Deal Name,Stage,External ID,Amount,Contact Email\nAcme renewal,Proposal,A-1,1200.50,ana@acme.test\nGlobex pilot,,A-2,abc,ben@globex.test\n"
    up = upload(w, text.encode(), target=f"entity:{entity}").json()
    assert up["mapping"] == ["title", "stage", "reference_id", "values.amount", "values.email"]
    done = run(w, up["id"])
    assert (done["created"], done["failed"]) == (1, 1), done
    listed = w["http"].get(f"{crm}/entities/deals/entries", headers=w["auth"], timeout=30).json()["data"]
    assert [(e["title"], e["reference_id"]) for e in listed] == [("Acme renewal", "A-1")]
    assert "amount" in call(w, "GET", f"/v1/imports/{up['id']}/errors.csv").text
    again = run(w, upload(w, text.encode(), target=f"entity:{entity}").json()["id"])
    assert (again["created"], again["unchanged"], again["failed"]) == (0, 1, 1)
    # The entity's export: its filters, one column per field, the stage by name.
    exported = w["http"].get(f"{crm}/entities/deals/entries/export.csv", headers=w["auth"], timeout=30,
                             params={"q": "acme", "columns": "title,stage,reference_id,amount,email"})
    assert exported.status_code == 200, exported.text
    assert list(csv.reader(io.StringIO(exported.text))) == [["title", "stage", "reference_id", "amount", "email"],
                                                            ["Acme renewal", "Proposal", "A-1", "1200.5", "ana@acme.test"]]
    assert w["http"].get(f"{crm}/entities/deals/entries/export.csv", headers=w["auth"], params={"q": "nothing-like-it"},
                         timeout=30).text.count("\r\n") == 1


def test_a_killed_job_runner_resumes_after_its_last_chunk(ws) -> None:
    w = fresh(ws, "Imports resume")
    stack = w["stack"]
    rows = 12000
    data = ("email,name\n" + "".join(f"r{i}@resume.test,Resumed {i}\n" for i in range(rows))).encode()
    up = upload(w, data).json()
    assert call(w, "POST", f"/v1/imports/{up['id']}/start").status_code == 202
    midway = wait(w, up["id"], until=lambda i: i["rows_done"] >= 1000 or i["status"] == "done", timeout=60)
    assert midway["status"] == "running", "the import ended before the runner could be killed; make the file longer"
    for pid in stack.jobs_runner_pids():
        os.kill(pid, signal.SIGKILL)
    done = wait(w, up["id"], timeout=180)
    assert done["status"] == "done", done
    assert counts(done) == {"rows_total": rows, "rows_done": rows, "created": rows, "updated": 0, "unchanged": 0,
                            "skipped": 0, "failed": 0}
    total = call(w, "GET", "/v1/customers", params={"per_page": 1}).json()["meta"]["total"]
    assert total == rows


def test_cancel_stops_at_a_row_boundary(ws) -> None:
    w = fresh(ws, "Imports cancel")
    data = ("email\n" + "".join(f"c{i}@cancel.test\n" for i in range(12000))).encode()
    up = upload(w, data).json()
    assert call(w, "POST", f"/v1/imports/{up['id']}/start").status_code == 202
    wait(w, up["id"], until=lambda i: i["rows_done"] > 0 or i["status"] != "queued" and i["status"] != "running", timeout=60)
    r = call(w, "POST", f"/v1/imports/{up['id']}/cancel")
    assert r.status_code == 202, r.text
    done = wait(w, up["id"])
    assert done["status"] == "cancelled"
    assert 0 < done["rows_done"] < 12000
    total = call(w, "GET", "/v1/customers", params={"per_page": 1}).json()["meta"]["total"]
    assert total == done["created"] == done["rows_done"]
    assert call(w, "POST", f"/v1/imports/{up['id']}/cancel").status_code == 409


def test_bad_requests_answer_with_the_field(ws) -> None:
    assert upload(ws, b"email\na@b.test\n", target="people").json()["errors"].keys() == {"target"}
    assert upload(ws, b"email\na@b.test\n", target="entity:999999").status_code == 422
    assert upload(ws, b"email\na@b.test\n", content_type="application/json").status_code == 415
    assert upload(ws, b"").json()["errors"].keys() == {"file"}
    up = upload(ws, b"email,name\na@b.test,A\n").json()
    path = f"/v1/imports/{up['id']}"
    assert call(ws, "PUT", path, json={"mapping": ["email"]}).json()["errors"].keys() == {"mapping"}
    assert call(ws, "PUT", path, json={"mapping": [None, "name"]}).json()["errors"].keys() == {"mapping"}
    assert "mapping.1" in call(ws, "PUT", path, json={"mapping": ["email", "shoe_size"]}).json()["errors"]
    assert call(ws, "PUT", path, json={"mode": "merge"}).json()["errors"].keys() == {"mode"}
    assert call(ws, "PUT", path, json={"tags": ["ok", "x" * 60]}).json()["errors"].keys() == {"tags"}
    ok = call(ws, "PUT", path, json={"tags": ["imported", "2026 fair"], "mapping": ["email", None], "mode": "create"})
    assert ok.status_code == 200 and ok.json()["tags"] == ["imported", "2026 fair"] and ok.json()["mapping"] == ["email", None]
    assert call(ws, "DELETE", path).status_code == 204
    assert call(ws, "GET", path).status_code == 404


def test_a_large_upload_passes_nginx_on_this_path_only(ws) -> None:
    big = b"email,name,notes\n" + b"".join(b"big%d@imp.test,Big %d,%s\n" % (i, i, b"x" * 110) for i in range(100_000))
    assert len(big) > 11 << 20
    r = upload(ws, big)
    assert r.status_code == 201, r.text[:300]
    assert r.json()["file_bytes"] == len(big) and len(r.json()["preview"]) == 20
    assert call(ws, "DELETE", f"/v1/imports/{r.json()['id']}").status_code == 204
    # Elsewhere the 10 MiB limit stays.
    r = ws["http"].post(f"{ws['base']}/v1/customers", data=big, headers=dict(ws["auth"], **{"Content-Type": "application/json"}), timeout=60)
    assert r.status_code == 413


def test_other_workspaces_and_roles(ws) -> None:
    up = upload(ws, b"email\nrole@imp.test\n").json()
    other = ws["other"]["auth"]
    for method, path in [("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/start"), ("POST", "/cancel"), ("GET", "/errors.csv")]:
        r = call(ws, method, f"/v1/imports/{up['id']}{path}", auth=other, json={} if method == "PUT" else None)
        assert r.status_code == 404, (method, path, r.status_code)
    assert up["id"] not in [i["id"] for i in call(ws, "GET", "/v1/imports", auth=other).json()["data"]]
    assert upload(ws, b"email\nv@imp.test\n", auth=ws["viewer"]["auth"]).status_code == 403
    assert call(ws, "GET", f"/v1/imports/{up['id']}", auth=ws["viewer"]["auth"]).status_code == 200
    assert upload(ws, b"email\nm@imp.test\n", auth=ws["member"]["auth"]).status_code == 201
    assert call(ws, "GET", "/v1/customers/export.csv", auth=ws["member"]["auth"]).status_code == 403


def test_exports_follow_the_list_and_neutralise_formulas(ws) -> None:
    w = fresh(ws, "Exports")
    for name, email, country in [("=HYPERLINK(\"http://x\")", "f@exp.test", "HR"), ("Ana, Horvat", "a@exp.test", "HR"),
                                 ("Ben", "b@exp.test", "DE")]:
        r = call(w, "POST", "/v1/customers", json={"name": name, "email": email, "country": country, "phone": "+385 1"})
        assert r.status_code == 201, r.text
    r = call(w, "GET", "/v1/customers/export.csv", params={"country": "HR", "sort": "created_at", "order": "asc",
                                                           "columns": "name,email,country,phone"})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="customers.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8"))))
    assert rows == [["name", "email", "country", "phone"], ["'=HYPERLINK(\"http://x\")", "f@exp.test", "HR", "'+385 1"],
                    ["Ana, Horvat", "a@exp.test", "HR", "'+385 1"]]
    assert call(w, "GET", "/v1/customers/export.csv", params={"columns": "password"}).json()["errors"].keys() == {"columns"}
    audit = call(w, "GET", "/v1/audit-log", params={"action": "customers.exported"}).json()["data"]
    assert audit and audit[0]["details"]["filters"]["country"] == "HR"
    assert audit[0]["details"]["columns"] == ["name", "email", "country", "phone"]
    # The export imports back unchanged (the formula guard is undone).
    back = upload(w, r.content).json()
    assert counts(run(w, back["id"]))["unchanged"] == 2

    assert call(w, "POST", "/v1/companies", json={"name": "=cmd|' /C calc'!A0", "domain": "calc.test"}).status_code == 201
    companies = call(w, "GET", "/v1/companies/export.csv", params={"domain": "calc.test"})
    assert companies.status_code == 200
    assert list(csv.reader(io.StringIO(companies.text)))[1][1] == "'=cmd|' /C calc'!A0"


def test_the_imports_tags_go_on_every_record_it_wrote_or_found(ws) -> None:
    """`tags` of an import are added (not replaced) on the customers, companies and entries its
    rows created, updated or found unchanged; a dry run adds none; importing again adds none."""
    w = fresh(ws, "Imports tags")
    assert call(w, "POST", "/v1/customers", json={"name": "Kept Tag", "email": "kt@imp.test", "tags": ["vip"]}).status_code == 201
    text = b"Name,Email\r\nKept Tag,kt@imp.test\r\nNew Person,np@imp.test\r\n"
    dry = upload(w, text).json()
    run(w, dry["id"], tags=["Fair 2026"], dry_run=True)
    assert customers(w, tag="Fair 2026") == []
    up = upload(w, text).json()
    done = run(w, up["id"], tags=["  Fair   2026 ", "imported"])
    assert (done["created"], done["unchanged"]) == (1, 1), done
    tagged = {c["email"]: c["tags"] for c in customers(w, tag="Fair 2026")}
    assert set(tagged) == {"kt@imp.test", "np@imp.test"}
    assert sorted(tagged["kt@imp.test"]) == ["Fair 2026", "imported", "vip"], tagged
    again = run(w, upload(w, text).json()["id"], tags=["Fair 2026", "imported"])
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2), again
    listed = {t["name"]: t["counts"]["customers"] for t in call(w, "GET", "/v1/tags").json()["data"]}
    assert listed["Fair 2026"] == 2 and listed["imported"] == 2
    # Companies too.
    co = upload(w, b"Name,Domain\r\nTagged Co,tagged-co.test\r\n", target="companies").json()
    run(w, co["id"], tags=["partner"])
    found = call(w, "GET", "/v1/companies", params={"tag": "partner"}).json()["data"]
    assert [c["name"] for c in found] == ["Tagged Co"]
