"""The API reference page renders openapi.yaml by tag with curl examples; and XSS payloads in
every text field the console shows (customer name, city, properties; pipeline entity, stage
and entry titles and values) stay text: nothing runs, no element is injected, and the
browser log holds no CSP violation (the console fixture fails the test on any SEVERE entry)."""

from __future__ import annotations

import time

import requests
import yaml
from selenium.webdriver.common.by import By

from .support import base_url

MARK = "__xss_ran"
PAYLOADS = [
    f'<img src=x onerror="window.{MARK}=1">',
    f"<script>window.{MARK}=1</script>",
    f'"><svg onload="window.{MARK}=1"></svg>',
    f"javascript:window.{MARK}=1",
    f"'-alert(1)-'<iframe src=\"javascript:window.{MARK}=1\"></iframe>",
    "{{constructor.constructor('window.__xss_ran=1')()}}",
]
PAYLOAD = " ".join(PAYLOADS)


def test_api_reference_renders_every_operation_with_curl(desktop, account):
    c = desktop
    spec = yaml.safe_load(requests.get(f"{base_url()}/v1/openapi.yaml", verify=False, timeout=30).text)
    operations = sum(1 for item in spec["paths"].values() for m in item if m in {"get", "post", "put", "patch", "delete", "options"})
    c.sign_in_with_token(account["token"], "/developers/api-reference")
    c.wait_heading("API reference")
    c.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".api-operation")) == operations)
    tags = [e.text for e in c.find_all(".api-tag-title")]
    assert tags[:3] == ["System", "Auth", "Workspaces"] and "CRM Entries" in tags
    c.shot("api reference")
    # One operation opened: parameters, body, responses and a curl example with the brand.
    op = c.find("#op-createEntry")
    op.find_element(By.CSS_SELECTOR, "summary").click()
    curl = op.find_element(By.CSS_SELECTOR, "textarea.copy-input").get_attribute("value")
    slug = account["tenant"]["slug"]
    assert f"/api/brands/{slug}/crm/entities/{{entity}}/entries" in curl
    assert '-H "EF-Access-Key: $ENTERCRM_KEY"' in curl and '"title":"Jane Doe"' in curl
    text = op.text
    assert "pipeline_id" in text and "REQUIRED" in text.upper() and "422" in text
    c.shot("create entry opened")
    # The filter narrows the list.
    search = c.find(".api-search")
    search.send_keys("track/batch")
    c.wait().until(lambda d: 0 < len([e for e in d.find_elements(By.CSS_SELECTOR, ".api-operation") if e.is_displayed()]) < 10)
    c.shot("filtered")
    # Copy the curl of the first visible operation.
    first = [e for e in c.find_all(".api-operation") if e.is_displayed()][0]
    first.find_element(By.CSS_SELECTOR, "summary").click()
    first.find_element(By.CSS_SELECTOR, "button.copy-button").click()
    c.wait().until(lambda d: first.find_element(By.CSS_SELECTOR, ".copy-status").text != "")


def assert_nothing_ran(c, where: str) -> None:
    time.sleep(0.3)
    ran = c.driver.execute_script(f"return window.{MARK} === 1")
    assert not ran, f"{where}: a payload ran"
    injected = c.driver.execute_script(
        "return [...document.querySelectorAll('main img[src=\"x\"], main iframe, main script, main svg[onload], [onerror], [onload]')]"
        ".map(e => e.outerHTML.slice(0, 80))")
    assert injected == [], f"{where}: injected elements {injected}"


def test_xss_payloads_in_text_fields_do_not_execute(desktop, account, api):
    key = api.request("POST", "/v1/api-keys", {"name": "xss", "type": "secret"}, expect=201)["key"]
    headers = {"X-API-Key": key}
    base = api.base
    customer = api.http.post(f"{base}/v1/customers", headers=headers, timeout=30, json={
        "name": PAYLOADS[0], "email": "xss@example.com", "city": PAYLOADS[2], "country": "HR", "phone": "+385 1",
        "properties": {"note": PAYLOAD, PAYLOADS[1]: PAYLOADS[3], "nested": {"html": PAYLOADS[4]}}}).json()
    api.http.post(f"{base}/v1/track/event", headers=headers, timeout=30, json={
        "customer_email": "xss@example.com", "event": PAYLOADS[2][:90], "properties": {"label": PAYLOAD}})
    slug = account["tenant"]["slug"]
    crm = f"{base}/api/brands/{slug}/crm"
    entity = api.http.post(f"{crm}/entities", headers=headers, timeout=30, json={
        "name": PAYLOADS[0][:100], "slug": "xss", "singular_name": PAYLOADS[2][:100], "plural_name": PAYLOADS[1][:100]}).json()
    pipeline = api.http.post(f"{crm}/entities/{entity['id']}/pipelines", headers=headers, timeout=30, json={
        "name": PAYLOADS[1][:100], "stages": [{"name": PAYLOADS[0][:100]}, {"name": PAYLOADS[2][:100]}]}).json()
    field = api.http.post(f"{crm}/entities/{entity['id']}/fields", headers=headers, timeout=30, json={
        "name": PAYLOADS[2][:100], "key": "note", "type": "text"}).json()
    assert field["id"]
    link = api.http.post(f"{crm}/entities/{entity['id']}/fields", headers=headers, timeout=30, json={
        "name": "Link", "key": "link", "type": "url"}).json()
    assert link["id"]
    entry = api.http.post(f"{crm}/entities/{entity['id']}/entries", headers=headers, timeout=30, json={
        "title": PAYLOAD[:250], "pipeline_id": pipeline["id"], "stage_id": pipeline["stages"][0]["id"],
        "reference_type": PAYLOADS[0][:60], "values": {"note": PAYLOAD}}).json()
    assert entry["id"]
    # A javascript: URL is refused where a link is made.
    bad = api.http.post(f"{crm}/entities/{entity['id']}/entries", headers=headers, timeout=30, json={
        "title": "link", "pipeline_id": pipeline["id"], "stage_id": pipeline["stages"][0]["id"],
        "values": {"link": PAYLOADS[3]}})
    assert bad.status_code == 422

    c = desktop
    pages = ["/customers", f"/customers/{customer['id']}", "/tracking", "/pipelines", "/pipelines/xss/board",
             "/pipelines/xss/table", f"/pipelines/xss/entries/{entry['id']}", "/pipelines/xss/settings", "/dashboard"]
    c.sign_in_with_token(account["token"], pages[0])
    for page in pages:
        c.go(page)
        c.wait_ready()
        time.sleep(0.8)
        assert_nothing_ran(c, page)
        c.shot(page.strip("/").replace("/", " "))
    # The payload is there, as text.
    c.go(f"/customers/{customer['id']}")
    c.wait().until(lambda d: PAYLOADS[0] in d.find_element(By.CSS_SELECTOR, "main").text)
    c.go(f"/pipelines/xss/entries/{entry['id']}")
    c.wait().until(lambda d: "<script>" in d.find_element(By.CSS_SELECTOR, "main").text)
    assert_nothing_ran(c, "entry")
