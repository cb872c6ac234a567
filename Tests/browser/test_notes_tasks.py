"""Notes and tasks in the console (issue 24): from a customer's profile, write a note (with a
preview) and add a task, complete it; a hostile note renders inert; My tasks lists overdue
tasks first and the navigation counts them; all of it at 1280 and 390 px wide."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By

HOSTILE = ('<img src=x onerror="window.__xss=1"> [click](javascript:window.__xss=2) '
           '[ok](https://example.com/a?b=1) <script>window.__xss=3</script> **bold**')


def customer(api) -> int:
    return api.request("POST", "/v1/customers", {"name": f"Nora Notes {uuid.uuid4().hex[:4]}",
                                                 "email": f"nora-{uuid.uuid4().hex[:6]}@example.com"}, expect=201)["id"]


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["1280", "390"])
def test_a_note_and_a_task_from_the_profile(console_factory, api, account, size) -> None:
    console = console_factory(size)
    api.token = account["token"]
    cid = customer(api)
    console.sign_in_with_token(account["token"], f"/customers/{cid}")
    console.find(".card-notes .note-input")

    # A note, previewed first, then saved: Markdown rendered.
    note = console.find(".card-notes .note-input")
    note.send_keys("Called about the **spring order**.\n\n- 200 units\n- [their site](https://example.com)")
    console.find('.card-notes .note-tab[data-tab="preview"]').click()
    assert console.find(".card-notes .note-preview strong").text == "spring order"
    console.find('.card-notes .note-tab[data-tab="write"]').click()
    console.find(".card-notes .note-editor button[type=submit]").click()
    body = console.find(".card-notes .note .markdown")
    console.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card-notes .note .markdown li")) == 2)
    link = body.find_element(By.CSS_SELECTOR, "a")
    assert link.get_attribute("href") == "https://example.com/"
    assert link.get_attribute("rel") == "noopener noreferrer" and link.get_attribute("target") == "_blank"

    # A task in two clicks: the title field, then Add (typing between).
    console.find(".card-tasks .task-new-title").click()
    console.find(".card-tasks .task-new-title").send_keys("Send the price list")
    console.find(".card-tasks .task-new button[type=submit]").click()
    row = console.find(".card-tasks .task")
    assert row.find_element(By.CSS_SELECTOR, ".task-title").text == "Send the price list"
    console.shot("added")
    row.find_element(By.CSS_SELECTOR, ".task-check").click()
    console.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, ".card-tasks .task.is-done"))
    task = api.request("GET", f"/v1/tasks?subject_type=customer&subject_id={cid}", expect=200)["data"][0]
    assert task["status"] == "done" and task["completed_at"] and task["assignee_id"] == account["user"]["id"]
    # The Activity card shows both, without a reload.
    console.wait().until(lambda d: console.find_all(".card-timeline .timeline-event[data-type='task_completed']"))
    assert console.find_all(".card-timeline .timeline-event[data-type='note']")
    assert console.find_all(".card-timeline .timeline-event[data-type='task_created']")
    console.shot("completed", full_page=True)


def test_a_hostile_note_renders_inert(desktop, api, account) -> None:
    api.token = account["token"]
    cid = customer(api)
    api.request("POST", "/v1/notes", {"subject_type": "customer", "subject_id": cid, "body": HOSTILE}, expect=201)
    desktop.sign_in_with_token(account["token"], f"/customers/{cid}")
    block = desktop.find(".card-notes .note .markdown")
    assert block.find_elements(By.CSS_SELECTOR, "img, script, iframe, [onerror], [onclick]") == []
    hrefs = [a.get_attribute("href") for a in block.find_elements(By.CSS_SELECTOR, "a")]
    assert hrefs == ["https://example.com/a?b=1"], hrefs
    assert "<img src=x onerror=" in block.text and "[click](javascript:window.__xss=2)" in block.text
    assert block.find_element(By.CSS_SELECTOR, "strong").text == "bold"
    assert desktop.driver.execute_script("return window.__xss === undefined")


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["1280", "390"])
def test_my_tasks_lists_overdue_first_and_the_navigation_counts_them(console_factory, api, account, size) -> None:
    console = console_factory(size)
    api.token = account["token"]
    cid = customer(api)
    me = account["user"]["id"]
    for title, due in (("Later task", "2099-01-01T10:00:00Z"), ("Late task", "2020-01-01T10:00:00Z"),
                       ("Undated task", None), ("Very late task", "2019-01-01T10:00:00Z")):
        api.request("POST", "/v1/tasks", {"title": title, "due_at": due, "assignee_id": me, "priority": "high" if "Very" in title else "normal",
                                          "subject_type": "customer", "subject_id": cid}, expect=201)
    console.sign_in_with_token(account["token"], "/tasks")
    console.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".page-tasks .task")) == 4)
    titles = [e.text for e in console.find_all(".page-tasks .task-title")]
    assert titles == ["Very late task", "Late task", "Later task", "Undated task"]
    assert len(console.find_all(".page-tasks .task.is-overdue")) == 2
    console.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, '.nav-link[href="#/tasks"] .nav-count').get_attribute("textContent") == "2")
    # The record's name, linked.
    console.wait().until(lambda d: "Nora Notes" in d.find_element(By.CSS_SELECTOR, ".page-tasks .task-subject").text)
    console.shot("my-tasks", full_page=True)
    console.find(".page-tasks .task .task-check").click()
    console.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".page-tasks .task")) == 3)
    console.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, '.nav-link[href="#/tasks"] .nav-count').get_attribute("textContent") == "1")
    console.find('.task-filters input[name="overdue"]').click()
    console.wait().until(lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, ".page-tasks .task-title")] == ["Late task"])


def test_an_entry_has_its_notes_and_tasks(desktop, api, account) -> None:
    api.token = account["token"]
    slug = account["tenant"]["slug"]
    crm = f"/api/brands/{slug}/crm"
    entity = api.request("POST", f"{crm}/entities", {"preset": "deals"}, expect=201)
    pipeline = entity["pipelines"][0]
    entry = api.request("POST", f"{crm}/entities/{entity['slug']}/entries",
                        {"title": "Kovač renewal", "pipeline_id": pipeline["id"], "stage_id": pipeline["stages"][0]["id"]}, expect=201)
    uid = entry.get("id") or entry["data"]["id"]
    api.request("POST", "/v1/notes", {"subject_type": "entry", "subject_id": uid, "body": "Budget **approved**."}, expect=201)
    desktop.sign_in_with_token(account["token"], f"/pipelines/{entity['slug']}/entries/{uid}")
    assert desktop.find(".card-notes .note .markdown strong").text == "approved"
    desktop.find(".card-tasks .task-new-title").send_keys("Send the signed quote")
    desktop.find(".card-tasks .task-new button[type=submit]").click()
    assert desktop.find(".card-tasks .task .task-title").text == "Send the signed quote"
    assert api.request("GET", f"/v1/tasks?subject_type=entry&subject_id={uid}", expect=200)["meta"]["total"] == 1
    desktop.shot("entry", full_page=True)
