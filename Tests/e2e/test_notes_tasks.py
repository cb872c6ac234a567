"""Notes and tasks through nginx (issue 24, parts 4 and 5): CRUD on customers and entries,
validation, who may change a note, viewers, other workspaces' subjects, the task filters,
erasure and export, and the morning digest: once a day, also across a job-runner kill."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from .support import new_session, system_mail
from .test_roles import person
from .test_tenancy import register as tenancy_register


def sql(stack, statement: str) -> str:
    return stack.run("db-shell", "-N", "-e", statement).strip()


def register(http, base: str, label: str) -> dict:
    """A new workspace and its owner (test_tenancy's registration), as `person` shapes people."""
    w = tenancy_register(http, base, label)
    return {"id": w["user_id"], "tenant": w["tenant_id"], "slug": w["slug"], "auth": w["auth"]}


def entry(http, base: str, w: dict, title: str) -> str:
    crm = f"{base}/api/brands/{w['slug']}/crm"
    slug = f"deals{uuid.uuid4().hex[:6]}"
    entity = http.post(f"{crm}/entities", json={"preset": "deals", "name": slug, "slug": slug}, headers=w["owner"]["auth"]).json()
    pipeline = entity["pipelines"][0]
    r = http.post(f"{crm}/entities/{slug}/entries", json={
        "title": title, "pipeline_id": pipeline["id"], "stage_id": pipeline["stages"][0]["id"]}, headers=w["owner"]["auth"])
    assert r.status_code == 201, r.text
    return r.json()["id"] if "id" in r.json() else r.json()["data"]["id"]


@pytest.fixture(scope="module")
def ws(stack, base: str) -> dict:
    http = new_session("127.0.0.141")
    owner = register(http, base, "alpha")
    w = {"http": http, "base": base, "tenant": owner["tenant"], "slug": owner["slug"], "owner": owner}
    for role in ("admin", "member", "viewer"):
        w[role] = person(stack, owner["tenant"], role)
    w["member_b"] = person(stack, owner["tenant"], "member")
    w["customer"] = http.post(f"{base}/v1/customers", json={"name": "Ana Kovač", "email": f"ana-{uuid.uuid4().hex[:6]}@notes.test"},
                              headers=owner["auth"]).json()["id"]
    w["entry"] = entry(http, base, w, "Kovač renewal")
    other = register(http, base, "beta")
    w["other"] = other
    w["other_customer"] = http.post(f"{base}/v1/customers", json={"name": "Other", "email": "other@notes.test"},
                                    headers=other["auth"]).json()["id"]
    return w


def call(w, who: str, method: str, path: str, body=None, params=None):
    auth = who if isinstance(who, dict) else w[who]["auth"]
    return w["http"].request(method, f"{w['base']}{path}", json=body, params=params, headers=auth, timeout=30)


def invalid(r, field: str) -> None:
    assert r.status_code == 422, f"{r.status_code} {r.text[:300]}"
    assert field in r.json()["errors"], r.text


def test_notes_crud_on_customers_and_entries_pinned_first(ws) -> None:
    c = ws["customer"]
    first = call(ws, "member", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": c, "body": "Called, **interested**."})
    assert first.status_code == 201, first.text
    note = first.json()
    assert note["author_id"] == ws["member"]["id"] and note["subject_id"] == c and note["pinned"] is False
    second = call(ws, "member", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": str(c), "body": "Sent a quote."}).json()
    pinned = call(ws, "admin", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": c, "body": "VIP", "pinned": True}).json()
    listed = call(ws, "viewer", "GET", "/v1/notes", params={"subject_type": "customer", "subject_id": c}).json()
    assert [n["id"] for n in listed["data"]] == [pinned["id"], second["id"], note["id"]]
    assert listed["meta"]["total"] == 3
    paged = call(ws, "viewer", "GET", "/v1/notes", params={"subject_type": "customer", "subject_id": c, "per_page": 2, "page": 2}).json()
    assert [n["id"] for n in paged["data"]] == [note["id"]] and paged["meta"]["last_page"] == 2

    updated = call(ws, "member", "PATCH", f"/v1/notes/{note['id']}", {"body": "Called twice.", "pinned": True})
    assert updated.status_code == 200 and updated.json()["body"] == "Called twice." and updated.json()["pinned"] is True
    assert call(ws, "viewer", "GET", f"/v1/notes/{note['id']}").json()["body"] == "Called twice."
    assert call(ws, "member", "DELETE", f"/v1/notes/{second['id']}").status_code == 200
    assert call(ws, "member", "GET", f"/v1/notes/{second['id']}").status_code == 404

    on_entry = call(ws, "member", "POST", "/v1/notes", {"subject_type": "entry", "subject_id": ws["entry"], "body": "Renewal due."})
    assert on_entry.status_code == 201 and on_entry.json()["subject_id"] == ws["entry"]
    listed = call(ws, "member", "GET", "/v1/notes", params={"subject_type": "entry", "subject_id": ws["entry"]}).json()
    assert [n["id"] for n in listed["data"]] == [on_entry.json()["id"]]


def test_note_validation(ws) -> None:
    c = ws["customer"]
    post = lambda body: call(ws, "member", "POST", "/v1/notes", body)
    invalid(post({"subject_type": "customer", "subject_id": c, "body": "x" * (64 * 1024 + 1)}), "body")
    # 64 KiB exactly is accepted, in bytes: 21,846 three-byte characters are more.
    assert post({"subject_type": "customer", "subject_id": c, "body": "x" * (64 * 1024)}).status_code == 201
    invalid(post({"subject_type": "customer", "subject_id": c, "body": "€" * 21846}), "body")
    invalid(post({"subject_type": "customer", "subject_id": c, "body": "   "}), "body")
    invalid(post({"subject_type": "customer", "subject_id": c, "body": "bell \u0007"}), "body")
    assert post({"subject_type": "customer", "subject_id": c, "body": "line one\n\tline two"}).status_code == 201
    invalid(post({"subject_type": "person", "subject_id": c, "body": "x"}), "subject_type")
    invalid(post({"subject_type": "company", "subject_id": 999999999, "body": "x"}), "subject_id")
    invalid(post({"subject_type": "customer", "subject_id": "abc", "body": "x"}), "subject_id")
    invalid(post({"subject_type": "customer", "subject_id": -4, "body": "x"}), "subject_id")
    invalid(post({"subject_type": "customer", "body": "x"}), "subject_id")
    invalid(post({"subject_type": "customer", "subject_id": c, "body": "x", "pinned": "yes"}), "pinned")
    invalid(call(ws, "member", "GET", "/v1/notes"), "subject_type")
    note = post({"subject_type": "customer", "subject_id": c, "body": "fixed subject"}).json()
    invalid(call(ws, "member", "PUT", f"/v1/notes/{note['id']}", {"subject_id": c + 1}), "subject_id")
    invalid(call(ws, "member", "PUT", f"/v1/notes/{note['id']}", {"body": None}), "body")
    bad = ws["http"].post(f"{ws['base']}/v1/notes", data="{", headers={**ws["member"]["auth"], "Content-Type": "application/json"})
    assert bad.status_code == 400


def test_only_the_author_or_an_admin_changes_a_note_and_viewers_only_read(ws) -> None:
    note = call(ws, "member", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": ws["customer"], "body": "A's note"}).json()
    for method, body in (("PUT", {"body": "B was here"}), ("PATCH", {"pinned": True}), ("DELETE", None)):
        r = call(ws, "member_b", method, f"/v1/notes/{note['id']}", body)
        assert r.status_code == 403 and r.json()["message"], r.text
        r = call(ws, "viewer", method, f"/v1/notes/{note['id']}", body)
        assert r.status_code == 403
    assert call(ws, "member", "GET", f"/v1/notes/{note['id']}").json()["body"] == "A's note"
    assert call(ws, "viewer", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": ws["customer"], "body": "x"}).status_code == 403
    assert call(ws, "viewer", "POST", "/v1/tasks", {"title": "x"}).status_code == 403
    assert call(ws, "viewer", "GET", f"/v1/notes/{note['id']}").status_code == 200
    assert call(ws, "admin", "PUT", f"/v1/notes/{note['id']}", {"body": "Edited by the admin"}).json()["body"] == "Edited by the admin"
    assert call(ws, "owner", "DELETE", f"/v1/notes/{note['id']}").status_code == 200


def test_another_workspaces_subjects_and_records(ws) -> None:
    theirs = ws["other_customer"]
    invalid(call(ws, "member", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": theirs, "body": "x"}), "subject_id")
    invalid(call(ws, "member", "POST", "/v1/tasks", {"title": "x", "subject_type": "customer", "subject_id": theirs}), "subject_id")
    invalid(call(ws, "member", "POST", "/v1/notes", {"subject_type": "entry", "subject_id": "nosuchentry0000", "body": "x"}), "subject_id")
    r = call(ws, "member", "GET", "/v1/notes", params={"subject_type": "customer", "subject_id": theirs})
    assert r.status_code == 404
    assert call(ws, "member", "GET", "/v1/tasks", params={"subject_type": "customer", "subject_id": theirs}).status_code == 404
    # Their note and task are not found from here.
    note = call(ws, "other", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": theirs, "body": "theirs"}).json()
    task = call(ws, "other", "POST", "/v1/tasks", {"title": "theirs"}).json()
    for method, path, body in (("GET", f"/v1/notes/{note['id']}", None), ("PUT", f"/v1/notes/{note['id']}", {"body": "x"}),
                               ("DELETE", f"/v1/notes/{note['id']}", None), ("GET", f"/v1/tasks/{task['id']}", None),
                               ("PATCH", f"/v1/tasks/{task['id']}", {"status": "done"}), ("DELETE", f"/v1/tasks/{task['id']}", None)):
        assert call(ws, "owner", method, path, body).status_code == 404, (method, path)
    assert call(ws, "other", "GET", f"/v1/tasks/{task['id']}").json()["status"] == "open"
    # Their member is not an assignee here.
    invalid(call(ws, "member", "POST", "/v1/tasks", {"title": "x", "assignee_id": ws["other"]["id"]}), "assignee_id")


def test_tasks_crud_completion_and_validation(ws) -> None:
    post = lambda body, who="member": call(ws, who, "POST", "/v1/tasks", body)
    created = post({"title": "Call Ana", "due_at": "2030-01-02T09:00:00Z", "subject_type": "customer", "subject_id": ws["customer"]})
    assert created.status_code == 201, created.text
    t = created.json()
    assert t["assignee_id"] == ws["member"]["id"] and t["priority"] == "normal" and t["status"] == "open" and t["completed_at"] is None
    done = call(ws, "member_b", "PATCH", f"/v1/tasks/{t['id']}", {"status": "done"}).json()
    assert done["status"] == "done" and done["completed_at"]
    again = call(ws, "member", "PATCH", f"/v1/tasks/{t['id']}", {"status": "done", "title": "Call Ana back"}).json()
    assert again["completed_at"] == done["completed_at"] and again["title"] == "Call Ana back"
    reopened = call(ws, "member", "PUT", f"/v1/tasks/{t['id']}", {"status": "open", "assignee_id": ws["member_b"]["id"], "priority": "high"}).json()
    assert reopened["completed_at"] is None and reopened["assignee_id"] == ws["member_b"]["id"] and reopened["priority"] == "high"
    cleared = call(ws, "member", "PATCH", f"/v1/tasks/{t['id']}", {"due_at": None, "subject_type": None, "subject_id": None}).json()
    assert cleared["due_at"] is None and cleared["subject_type"] is None
    assert call(ws, "member", "DELETE", f"/v1/tasks/{t['id']}").status_code == 200
    assert call(ws, "member", "GET", f"/v1/tasks/{t['id']}").status_code == 404

    invalid(post({"title": "Call\nAna"}), "title")
    invalid(post({"title": "Call \u202eAna"}), "title")
    invalid(post({"title": ""}), "title")
    invalid(post({}), "title")
    invalid(post({"title": "x", "status": "closed"}), "status")
    invalid(post({"title": "x", "priority": "urgent"}), "priority")
    invalid(post({"title": "x", "due_at": "tomorrow"}), "due_at")
    invalid(post({"title": "x", "due_at": "2026-02-30T10:00:00Z"}), "due_at")
    invalid(post({"title": "x", "assignee_id": 0}), "assignee_id")
    invalid(post({"title": "x", "assignee_id": 999999999}), "assignee_id")
    invalid(post({"title": "x", "subject_type": "entry"}), "subject_id")
    for params, field in (({"status": "closed"}, "status"), ({"due_before": "soon"}, "due_before"), ({"due_after": "2026-13-01T00:00:00Z"}, "due_after"),
                          ({"overdue": "maybe"}, "overdue"), ({"assignee_id": "someone"}, "assignee_id"), ({"sort": "title"}, "sort")):
        invalid(call(ws, "member", "GET", "/v1/tasks", params=params), field)
    # An API key is nobody: assignee_id=me is a 422, and its tasks have no creator.
    key = call(ws, "owner", "POST", "/v1/api-keys", {"name": "tasks"}).json()["key"]
    invalid(call(ws, {"X-API-Key": key}, "GET", "/v1/tasks", params={"assignee_id": "me"}), "assignee_id")
    by_key = call(ws, {"X-API-Key": key}, "POST", "/v1/tasks", {"title": "From the server"}).json()
    assert by_key["created_by"] is None and by_key["assignee_id"] is None


def test_task_filters(ws) -> None:
    tag = uuid.uuid4().hex[:6]
    me = ws["member_b"]
    mine = lambda **params: [t["title"] for t in call(ws, "member_b", "GET", "/v1/tasks", params={"assignee_id": "me", "per_page": 100, **params}).json()["data"]
                             if t["title"].endswith(tag)]
    make = lambda title, **fields: call(ws, "admin", "POST", "/v1/tasks", {"title": f"{title} {tag}", "assignee_id": me["id"], **fields}).json()
    make("late", due_at="2020-01-01T10:00:00Z", priority="high")
    make("later", due_at="2021-06-01T10:00:00Z")
    make("future", due_at="2099-01-01T10:00:00Z")
    make("undated")
    make("finished", due_at="2020-02-01T10:00:00Z", status="done")
    make("about", due_at="2098-01-01T10:00:00Z", subject_type="entry", subject_id=ws["entry"])
    call(ws, "admin", "POST", "/v1/tasks", {"title": f"not mine {tag}", "due_at": "2020-01-01T10:00:00Z", "assignee_id": None})

    assert mine() == [f"late {tag}", f"finished {tag}", f"later {tag}", f"about {tag}", f"future {tag}", f"undated {tag}"]
    assert mine(overdue="true") == [f"late {tag}", f"later {tag}"]
    assert mine(status="done") == [f"finished {tag}"]
    assert mine(status="open", due_before="2021-01-01T00:00:00Z") == [f"late {tag}"]
    assert mine(due_after="2050-01-01T00:00:00Z") == [f"about {tag}", f"future {tag}"]
    assert mine(priority="high") == [f"late {tag}"]
    assert mine(subject_type="entry", subject_id=ws["entry"]) == [f"about {tag}"]
    assert mine(sort="due_at", order="desc")[:2] == [f"future {tag}", f"about {tag}"]
    by_id = call(ws, "member", "GET", "/v1/tasks", params={"assignee_id": me["id"], "overdue": "true", "per_page": 100}).json()
    assert {t["title"] for t in by_id["data"] if t["title"].endswith(tag)} == {f"late {tag}", f"later {tag}"}
    assert all(t["overdue"] for t in by_id["data"])
    assert call(ws, "member_b", "GET", "/v1/tasks", params={"assignee_id": "me", "overdue": "true", "per_page": 1}).json()["meta"]["total"] >= 2
    unassigned = call(ws, "member", "GET", "/v1/tasks", params={"assignee_id": "none", "per_page": 100}).json()["data"]
    assert f"not mine {tag}" in [t["title"] for t in unassigned] and all(t["assignee_id"] is None for t in unassigned)


def test_erasure_removes_notes_and_tasks_and_export_lists_them(ws) -> None:
    customer = call(ws, "owner", "POST", "/v1/customers", {"name": "To Forget", "email": f"forget-{uuid.uuid4().hex[:6]}@notes.test"}).json()["id"]
    note = call(ws, "member", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": customer, "body": "Private detail"}).json()
    task = call(ws, "member", "POST", "/v1/tasks", {"title": "Follow up", "subject_type": "customer", "subject_id": customer}).json()
    other = call(ws, "member", "POST", "/v1/notes", {"subject_type": "customer", "subject_id": ws["customer"], "body": "Stays"}).json()
    export = call(ws, "owner", "GET", f"/v1/customers/{customer}/export").json()
    assert [n["body"] for n in export["notes"]] == ["Private detail"]
    assert [t["title"] for t in export["tasks"]] == ["Follow up"]
    assert call(ws, "owner", "DELETE", f"/v1/customers/{customer}").status_code == 200
    assert call(ws, "owner", "GET", f"/v1/notes/{note['id']}").status_code == 404
    assert call(ws, "owner", "GET", f"/v1/tasks/{task['id']}").status_code == 404
    assert call(ws, "owner", "GET", f"/v1/notes/{other['id']}").status_code == 200


def test_deleting_an_entry_removes_its_notes_and_tasks(ws) -> None:
    uid = entry(ws["http"], ws["base"], ws, "Short-lived deal")
    note = call(ws, "member", "POST", "/v1/notes", {"subject_type": "entry", "subject_id": uid, "body": "x"}).json()
    task = call(ws, "member", "POST", "/v1/tasks", {"title": "y", "subject_type": "entry", "subject_id": uid}).json()
    assert call(ws, "owner", "DELETE", f"/api/brands/{ws['slug']}/crm/entries/{uid}").status_code == 200
    assert call(ws, "owner", "GET", f"/v1/notes/{note['id']}").status_code == 404
    assert call(ws, "owner", "GET", f"/v1/tasks/{task['id']}").status_code == 404


# ---------------------------------------------------------------- the morning digest

def run_digest(stack, timeout: float = 60) -> int:
    """Queues a digest run (`now`: before the hour too) and waits for it; returns the job id."""
    tag = uuid.uuid4().hex[:12]
    sql(stack, "INSERT INTO jobs (kind, payload, run_at, created_at, updated_at) VALUES "
               f"('tasks.digest', '{{\"now\": true, \"tag\": \"{tag}\"}}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    job = int(sql(stack, f"SELECT id FROM jobs WHERE kind = 'tasks.digest' AND payload LIKE '%{tag}%'"))
    status = stack.wait_for(lambda: (s := sql(stack, f"SELECT status FROM jobs WHERE id = {job}")) in ("succeeded", "failed") and s, timeout)
    assert status == "succeeded", f"digest job {job}: {status}"
    return job


def digests(stack, to: str) -> list[str]:
    return [text for text in system_mail(stack, to) if "overdue or due today" in text]


def test_the_digest_goes_once_a_day_listing_overdue_and_due_today(stack, ws) -> None:
    a, b = person(stack, ws["tenant"], "member"), person(stack, ws["tenant"], "member")
    post = lambda who, title, due, **f: call(ws, "owner", "POST", "/v1/tasks", {"title": title, "assignee_id": who["id"], "due_at": due, **f})
    today = time.strftime("%Y-%m-%dT23:59:00Z", time.gmtime())
    post(a, "Overdue call", "2020-01-01T09:00:00Z", priority="high")
    post(a, "Today's quote", today)
    post(a, "Next year's review", "2099-01-01T09:00:00Z")
    post(a, "Already done", "2020-01-01T09:00:00Z", status="done")
    post(b, "B's late task", "2021-01-01T09:00:00Z")
    run_digest(stack)
    mail = digests(stack, a["email"])
    assert len(mail) == 1, mail
    assert "Overdue call (high priority)" in mail[0] and "Today's quote" in mail[0]
    assert "Next year's review" not in mail[0] and "Already done" not in mail[0]
    assert mail[0].index("Overdue:") < mail[0].index("Overdue call") < mail[0].index("Due today:") < mail[0].index("Today's quote")
    assert len(digests(stack, b["email"])) == 1
    # A second run the same day (the hourly schedule) sends nothing more.
    post(a, "Added after the digest", "2020-05-01T09:00:00Z")
    run_digest(stack)
    assert len(digests(stack, a["email"])) == 1 and len(digests(stack, b["email"])) == 1
    day = sql(stack, f"SELECT DATE_FORMAT(day, '%Y-%m-%d'), sent_at IS NOT NULL, tasks_count FROM task_digests WHERE user_id = {a['id']}")
    assert day.split("\t")[1:] == ["1", "2"], day


def test_the_digest_survives_a_job_runner_kill(stack, ws) -> None:
    """Killed with SIGKILL while a digest job is queued or running, the runner is started again
    and the job is taken over once its lease is up (brought forward here): every person gets at
    most one digest, exactly one when the database says it was sent. A person whose claim was
    committed by a runner that died before sending gets none that day (never two)."""
    people = [person(stack, ws["tenant"], "member") for _ in range(6)]
    for who in people:
        call(ws, "owner", "POST", "/v1/tasks", {"title": f"Late for {who['id']}", "assignee_id": who["id"], "due_at": "2020-01-01T09:00:00Z"})
    crashed = people[0]
    sql(stack, f"INSERT INTO task_digests (user_id, day, claimed_at) VALUES ({crashed['id']}, UTC_DATE(), UTC_TIMESTAMP(6))")

    victim = next(iter(stack.wait_for(lambda: (p := stack.jobs_runner_pids()) and len(p) == 1 and p, timeout=15)))
    sql(stack, "INSERT INTO jobs (kind, payload, run_at, created_at, updated_at) VALUES "
               "('tasks.digest', '{\"now\": true, \"kill\": 1}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    job = int(sql(stack, "SELECT MAX(id) FROM jobs WHERE kind = 'tasks.digest' AND payload LIKE '%\"kill\"%'"))
    stack.wait_for(lambda: sql(stack, f"SELECT status FROM jobs WHERE id = {job}") != "queued", timeout=10, interval=0.005)
    os.kill(victim, signal.SIGKILL)
    fresh = stack.wait_for(lambda: (p := stack.jobs_runner_pids()) and victim not in p and p, timeout=20)
    assert fresh, "the job runner was not started again"
    # The killed runner's lease, brought forward: the new runner takes the job over.
    sql(stack, f"UPDATE jobs SET locked_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = {job} AND status = 'running'")
    done = stack.wait_for(lambda: sql(stack, f"SELECT status FROM jobs WHERE id = {job}") in ("succeeded", "failed"), timeout=60)
    assert done and sql(stack, f"SELECT status FROM jobs WHERE id = {job}") == "succeeded"
    run_digest(stack)
    run_digest(stack)

    assert digests(stack, crashed["email"]) == []
    for who in people[1:]:
        sent = sql(stack, f"SELECT COUNT(*) FROM task_digests WHERE user_id = {who['id']} AND sent_at IS NOT NULL")
        claimed = sql(stack, f"SELECT COUNT(*) FROM task_digests WHERE user_id = {who['id']}")
        mail = digests(stack, who["email"])
        assert claimed == "1" and len(mail) <= 1, (who, mail)
        # Marked sent: the mail went. Not marked: none went, or the kill fell between send and mark.
        assert len(mail) >= int(sent), (who, sent, mail)
    # Those the killed run had not reached were sent by the runs after it.
    assert sum(len(digests(stack, who["email"])) for who in people[1:]) >= 1
