"""The pipeline CRM contract (../shared/seeds/003_a662dbe7a4a9646c.txt) end to end, through nginx.

The document's Python snippets are copied below verbatim and run with `exec`, changing only
the base URL (https://app.elasticfunnels.io/api/brands/{brand}/crm, whose brand is ours) and
the API key. They use `requests` directly, with certificate checks on: REQUESTS_CA_BUNDLE
points at the test stack's self-signed certificate. Before them, the test follows the
document's own steps: an entity from the leads preset (entity 1 of a fresh workspace, with
pipeline 1 and stage 1 "New Lead"), then the "Lead Source" field of its field example.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import uuid

import pytest
import requests

from .support import ROOT, new_session

SEED = ROOT.parent / "shared" / "seeds" / "003_a662dbe7a4a9646c.txt"
ORIGIN = "https://app.elasticfunnels.io"

SNIPPET_CREATE_ENTRY = """\
import requests

r = requests.post(
    'https://app.elasticfunnels.io/api/brands/{brand_id}/crm/entities/1/entries',
    headers={'EF-Access-Key': 'your_api_key_here', 'Content-Type': 'application/json'},
    json={
        'title': 'Jane Doe',
        'pipeline_id': 1,
        'stage_id': 1,
        'reference_type': 'conversion',
        'reference_id': 'conv-123',
        'values': {
            'email': 'jane@example.com',
            'lead_source': 'Facebook',
        },
    },
)
entry = r.json()
print(entry['id'])
"""

SNIPPET_CONVERSION = """\
import requests

BRAND_ID = 42
API_KEY = "your_api_key_here"
BASE = f"https://app.elasticfunnels.io/api/brands/{BRAND_ID}/crm"
H = {"EF-Access-Key": API_KEY, "Content-Type": "application/json"}

def create_lead_from_conversion(conversion: dict) -> dict:
    \"\"\"Create a CRM entry from a conversion webhook payload.\"\"\"
    return requests.post(
        f"{BASE}/entities/1/entries",
        headers=H,
        json={
            "title": f"{conversion['first_name']} {conversion['last_name']}",
            "pipeline_id": 1,
            "stage_id": 1,   # "New Lead"
            "reference_type": "conversion",
            "reference_id": str(conversion["id"]),
            "values": {
                "email":       conversion.get("email"),
                "phone":       conversion.get("phone"),
                "lead_source": conversion.get("utm_source", "unknown"),
            },
        },
    ).json()
"""


@pytest.fixture
def workspace(base, stack):
    """A fresh workspace and a secret API key, registered from an address of its own (the
    registration rate limit is per address)."""
    session = new_session("127.0.0.31")
    email = f"crm-{uuid.uuid4().hex[:12]}@company.com"
    reply = session.post(f"{base}/v1/auth/register", json={
        "name": "Jane Smith", "email": email, "password": "secret123", "workspace_name": f"CRM {email}",
    }, timeout=30)
    assert reply.status_code == 201, reply.text
    token, tenant = reply.json()["token"], reply.json()["tenant"]
    key = session.post(f"{base}/v1/api-keys", json={"name": "seed snippets"},
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert key.status_code == 201, key.text
    session.close()
    return {"id": tenant["id"], "slug": tenant["slug"], "key": key.json()["key"], "token": token,
            "user_id": reply.json()["user"]["id"], "crm": f"{base}/api/brands/{tenant['id']}/crm"}


@pytest.fixture
def trust_stack(monkeypatch, stack):
    """requests.post with its defaults (certificate checks on) trusts the test stack."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", stack.env["ENTERCRM_TLS_CERT"])
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def run_snippet(code: str, namespace: dict | None = None) -> tuple[dict, str]:
    namespace = {} if namespace is None else namespace
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "seed-snippet", "exec"), namespace)
    return namespace, out.getvalue()


def with_base(code: str, workspace: dict, base: str) -> str:
    """The snippet with only its base URL (origin and brand) and key replaced."""
    return (code
            .replace(f"{ORIGIN}/api/brands/{{brand_id}}/crm", workspace["crm"])
            .replace("BRAND_ID = 42", f"BRAND_ID = {workspace['id']}")
            .replace(ORIGIN, base)
            .replace("your_api_key_here", workspace["key"]))


def test_the_snippets_are_the_documents_own():
    if not SEED.exists():
        pytest.skip(f"{SEED} is not here")
    text = SEED.read_text()
    for snippet in (SNIPPET_CREATE_ENTRY, SNIPPET_CONVERSION):
        assert snippet.strip() in text


def test_the_documents_steps_and_python_snippets(base, workspace, trust_stack):
    h = {"EF-Access-Key": workspace["key"], "Content-Type": "application/json"}
    crm = workspace["crm"]
    presets = requests.get(f"{crm}/entity-presets", headers=h, timeout=30)
    assert presets.status_code == 200
    assert [p["key"] for p in presets.json()["presets"]] == ["leads", "contacts", "deals"]

    created = requests.post(f"{crm}/entities", headers=h, timeout=30, json={
        "name": "Leads", "slug": "leads", "singular_name": "Lead", "plural_name": "Leads",
        "icon": "user", "color": "#3b82f6", "preset": "leads",
    })
    assert created.status_code == 201, created.text
    entity = created.json()
    assert {k: entity[k] for k in ("id", "name", "slug", "singular_name", "plural_name", "icon", "color", "brand_id")} == {
        "id": 1, "name": "Leads", "slug": "leads", "singular_name": "Lead", "plural_name": "Leads",
        "icon": "user", "color": "#3b82f6", "brand_id": workspace["id"],
    }
    assert entity["created_at"].endswith("Z")
    stages = entity["pipelines"][0]["stages"]
    assert entity["pipelines"][0]["id"] == 1 and stages[0]["id"] == 1 and stages[0]["name"] == "New Lead"

    field = requests.post(f"{crm}/entities/1/fields", headers=h, timeout=30, json={
        "name": "Lead Source", "key": "lead_source", "type": "select",
        "options": ["Facebook", "Google", "Organic", "Referral"], "required": False, "position": 2,
    })
    assert field.status_code == 201, field.text
    assert {k: field.json()[k] for k in ("id", "name", "key", "type", "options", "required", "position", "crm_entity_id")} == {
        "id": 4, "name": "Lead Source", "key": "lead_source", "type": "select",
        "options": ["Facebook", "Google", "Organic", "Referral"], "required": False, "position": 2, "crm_entity_id": 1,
    }

    # The first snippet, as the document prints it.
    namespace, printed = run_snippet(with_base(SNIPPET_CREATE_ENTRY, workspace, base))
    assert namespace["r"].status_code == 201, namespace["r"].text
    entry = namespace["entry"]
    assert printed.strip() == entry["id"] and isinstance(entry["id"], str)
    assert list(entry)[:10] == ["id", "title", "pipeline_id", "stage_id", "crm_entity_id", "brand_id",
                                "reference_type", "reference_id", "assigned_to_user_id", "assigned_to_team_id"]
    assert entry["values"] == [{"key": "email", "value": "jane@example.com"}, {"key": "lead_source", "value": "Facebook"}]
    assert entry["values_flat"] == {"email": "jane@example.com", "lead_source": "Facebook"}
    assert entry["created_at"].endswith("Z") and entry["updated_at"].endswith("Z")

    # Run again (a retried webhook): the same entry, no duplicate.
    again, _ = run_snippet(with_base(SNIPPET_CREATE_ENTRY, workspace, base))
    assert again["r"].status_code == 200 and again["entry"]["id"] == entry["id"]

    # The conversion webhook helper.
    namespace, _ = run_snippet(with_base(SNIPPET_CONVERSION, workspace, base))
    conversion = {"id": 5501, "first_name": "Ana", "last_name": "Kovač", "email": "ana@example.com",
                  "phone": "+385 91 555 0101", "utm_source": "Google"}
    lead = namespace["create_lead_from_conversion"](conversion)
    assert lead["title"] == "Ana Kovač" and lead["stage_id"] == 1 and lead["reference_id"] == "5501"
    assert lead["values_flat"] == {"email": "ana@example.com", "phone": "+385 91 555 0101", "lead_source": "Google"}
    assert namespace["create_lead_from_conversion"](conversion)["id"] == lead["id"], "webhook retries are idempotent"
    no_phone = namespace["create_lead_from_conversion"]({"id": 5502, "first_name": "Ivo", "last_name": "Ban",
                                                         "email": "ivo@example.com", "utm_source": "Organic"})
    assert no_phone["values_flat"] == {"email": "ivo@example.com", "lead_source": "Organic"}
    refused = namespace["create_lead_from_conversion"]({"id": 5503, "first_name": "X", "last_name": "Y"})
    assert "values.lead_source" in refused["errors"], "'unknown' is not an option of the field"

    # The list, as its cURL example asks for it, and the paginator.
    listed = requests.get(f"{crm}/entities/1/entries?pipeline_id=1&stage_id=1&per_page=50", headers=h, timeout=30)
    assert listed.status_code == 200
    page = listed.json()
    assert list(page)[:5] == ["data", "current_page", "last_page", "per_page", "total"]
    assert page["total"] == 3 and page["per_page"] == 50 and page["current_page"] == 1 and page["last_page"] == 1
    assert {e["title"] for e in page["data"]} == {"Jane Doe", "Ana Kovač", "Ivo Ban"}
    by_reference = requests.get(f"{crm}/entities/1/entries", params={"reference_type": "conversion", "reference_id": "conv-123"},
                                headers=h, timeout=30).json()
    assert [e["id"] for e in by_reference["data"]] == [entry["id"]]
    searched = requests.get(f"{crm}/entities/1/entries", params={"q": "kov"}, headers=h, timeout=30).json()
    assert [e["title"] for e in searched["data"]] == ["Ana Kovač"]

    # Update (values merge, reassign), move, history, both paths.
    updated = requests.put(f"{crm}/entries/{entry['id']}", headers=h, timeout=30, json={
        "values": {"lead_source": "Google", "phone": "+15559876543"}, "assigned_to_user_id": workspace["user_id"],
    })
    assert updated.status_code == 200, updated.text
    assert updated.json()["values_flat"] == {"email": "jane@example.com", "phone": "+15559876543", "lead_source": "Google"}
    moved = requests.put(f"{crm}/entries/{entry['id']}/stage", headers=h, json={"stage_id": 3}, timeout=30)
    assert moved.status_code == 200
    assert {k: moved.json()[k] for k in ("id", "stage_id")} == {"id": entry["id"], "stage_id": 3}
    assert moved.json()["updated_at"].endswith("Z")
    nested = requests.get(f"{crm}/entities/1/entries/{entry['id']}", headers=h, timeout=30).json()
    assert nested["stage_id"] == 3
    history = requests.get(f"{crm}/entries/{entry['id']}/history", headers=h, timeout=30).json()["data"]
    assert [(s["from_stage_id"], s["to_stage_id"]) for s in history] == [(None, 1), (1, 3)]
    assert history[1]["changed_by"]["type"] == "api_key"

    # Pipelines and stages, as their examples do.
    pipeline = requests.post(f"{crm}/entities/1/pipelines", headers=h, json={"name": "Sales Pipeline"}, timeout=30)
    assert pipeline.status_code == 201
    assert list(pipeline.json())[:5] == ["id", "name", "crm_entity_id", "brand_id", "position"]
    p = pipeline.json()["id"]
    ids = [requests.post(f"{crm}/pipelines/{p}/stages", headers=h, json={"name": n, "color": c}, timeout=30).json()["id"]
           for n, c in (("Prospect", "#94a3b8"), ("Contacted", "#3b82f6"), ("Closed", "#22c55e"))]
    qualified = requests.post(f"{crm}/pipelines/{p}/stages", headers=h, json={"name": "Qualified", "color": "#10b981", "position": 2},
                              timeout=30)
    assert qualified.status_code == 201
    assert {k: qualified.json()[k] for k in ("name", "color", "position", "pipeline_id")} == {
        "name": "Qualified", "color": "#10b981", "position": 2, "pipeline_id": p}
    order = [ids[0], qualified.json()["id"], ids[1], ids[2]]
    reordered = requests.put(f"{crm}/stages/reorder", headers=h, timeout=30,
                             json={"stages": [{"id": s, "position": i} for i, s in enumerate(order)]})
    assert reordered.status_code == 200
    assert [s["id"] for s in requests.get(f"{crm}/pipelines/{p}/stages", headers=h, timeout=30).json()] == order
    stats = requests.get(f"{crm}/pipelines/1/stats", headers=h, timeout=30).json()
    assert [s["count"] for s in stats["stages"]][:3] == [2, 0, 1]

    # Deletion: an entry, then the entity (which holds entries: force).
    assert requests.delete(f"{crm}/entries/{lead['id']}", headers=h, timeout=30).status_code == 200
    assert requests.delete(f"{crm}/entities/1", headers=h, timeout=30).status_code == 409
    assert requests.delete(f"{crm}/entities/1?force=true", headers=h, timeout=30).status_code == 200
    assert requests.get(f"{crm}/entities", headers=h, timeout=30).json() == []


def test_another_workspace_and_a_publishable_key_are_refused(base, workspace, trust_stack):
    h = {"EF-Access-Key": workspace["key"]}
    assert requests.get(f"{base}/api/brands/{workspace['id'] + 100000}/crm/entities", headers=h, timeout=30).status_code == 404
    assert requests.get(f"{base}/api/brands/{workspace['slug']}/crm/entities", headers=h, timeout=30).status_code == 200
    assert requests.get(f"{workspace['crm']}/entities", headers={"X-API-Key": workspace["key"]}, timeout=30).status_code == 200
    bearer = {"Authorization": f"Bearer {workspace['token']}"}
    assert requests.get(f"{workspace['crm']}/entities", headers=bearer, timeout=30).status_code == 200
    publishable = requests.post(f"{base}/v1/api-keys", json={"name": "site", "type": "publishable"}, headers=bearer, timeout=30)
    assert requests.get(f"{workspace['crm']}/entities", headers={"EF-Access-Key": publishable.json()["key"]},
                        timeout=30).status_code == 403
    assert requests.get(f"{workspace['crm']}/entities", timeout=30).status_code == 401
