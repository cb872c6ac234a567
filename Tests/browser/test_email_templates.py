"""Email templates in the console: the list, the editor with its live preview (rendered by
the server, in the sandboxed email preview frame, its inline styles applied), save, delete; and the automation designer's template
picker for a send_email step, saved and loaded back."""

from __future__ import annotations

import uuid

from selenium.webdriver.support.ui import Select

from .test_console_automations import select_node


def test_templates_page_and_designer_picker(desktop, account, api) -> None:
    c = desktop
    api.token = account["token"]
    c.sign_in_with_token(account["token"], "/email-templates")
    c.wait_heading("Email templates")
    assert "No templates yet" in c.find(".state-empty").text
    assert c.find('.nav-link[href="#/email-templates"]')

    c.find('[data-action="new-template"]').click()
    c.wait_route("/email-templates/new")
    key = f"win-back-{uuid.uuid4().hex[:4]}"
    c.find('input[name="name"]').send_keys("Win-back <b>")
    c.find('input[name="key"]').send_keys(key)
    c.find('input[name="subject"]').send_keys("We miss you, {{first_name|friend}}")
    body = c.find('textarea[name="body_html"]')
    body.clear()
    body.send_keys('<h1 style="font-size:22px;color:#ff0000">Come back, {{name}}</h1><p>15% off in {{city}}.</p>')
    frame = c.find("iframe.template-preview")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    assert frame.get_attribute("src").endswith("/email-preview.html")
    c.wait().until(lambda d: "Come back, Alex Sample" in c.frame_text(frame))
    # The message's inline styles apply: the preview is the HTML as sent, under a CSP of its own.
    style = c.in_frame(frame, "const s = getComputedStyle(document.querySelector('h1')); return [s.fontSize, s.color]")
    assert style == ["22px", "rgb(255, 0, 0)"], style
    c.wait().until(lambda d: "We miss you, Alex" in c.find(".template-preview-subject").text)
    c.shot("editor with preview")
    c.find('.template-form button[type="submit"]').click()
    c.wait_route("/email-templates")
    row = c.find(f"tr[data-template-key='{key}']")
    assert "Win-back <b>" in row.text
    c.shot("list")

    # A bad key is refused beside its field.
    c.go("/email-templates/new")
    c.find('input[name="name"]').send_keys("Bad")
    c.find('input[name="key"]').send_keys("Not a slug")
    c.find('input[name="subject"]').send_keys("S")
    c.allow_log(r"/v1/email-templates - Failed to load resource: the server responded with a status of 422")
    c.find('.template-form button[type="submit"]').click()
    c.wait().until(lambda d: "lowercase" in c.find(".template-form").text)
    # Leaving the unsaved form asks first.
    c.driver.execute_script("location.hash = '#/email-templates'")
    c.click("Leave and discard", "dialog[open]")
    c.wait_route("/email-templates")

    # The designer: a send_email step picks the template from a list.
    made = api.request("POST", "/v1/automations", {"name": "Win-back flow", "trigger_type": "customer_created"}, expect=201)
    automation = made["id"]
    api.request("POST", f"/v1/automations/{automation}/design", {
        "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 250, "y": 40}},
                  {"id": "2", "type": "action", "data": {"label": "Send email", "action": "send_email", "subject": "Hi", "body": "Hello"},
                   "position": {"x": 250, "y": 200}}],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}]}, expect=200)
    c.go(f"/automations/{automation}")
    c.wait_heading("Win-back flow")
    select_node(c, "2")
    picker = Select(c.find(".flow-panel select[name='email_template']"))
    assert picker.first_selected_option.text == "Write subject and body"
    assert c.find(".flow-panel input[name='subject']").is_displayed()
    picker.select_by_value(key)
    c.wait().until(lambda d: not c.find_all(".flow-panel input[name='subject']")[0].is_displayed())
    assert "Edit template" in c.find(".flow-template-link").text
    c.shot("designer template picker")
    c.find("[data-action='save']").click()
    c.wait().until(lambda d: api.request("GET", f"/v1/automations/{automation}/design", expect=200)["nodes"][1]["data"].get("email_template") == key)
    c.go(f"/automations/{automation}")
    c.wait_heading("Win-back flow")
    select_node(c, "2")
    c.wait().until(lambda d: Select(c.find(".flow-panel select[name='email_template']")).first_selected_option.get_attribute("value") == key)

    # Delete from the list.
    c.go("/email-templates")
    c.find(f"tr[data-template-key='{key}'] [data-action='delete-template']").click()
    c.find(".modal .button-danger").click()
    c.wait().until(lambda d: not d.find_elements("css selector", f"tr[data-template-key='{key}']"))
    c.toast("Deleted the template")
    c.shot("deleted")
    # The DELETE goes when the console leaves the page (the undo window ends).
    c.go("/automations")
    c.wait().until(lambda d: not any(t["key"] == key for t in api.request("GET", "/v1/email-templates", expect=200)["data"]))
