"""Schemathesis against the running stack, through nginx, with every check enabled.

Makes a real workspace (register from an address of its own, secret API keys, a CRM entity
from a preset so that pipelines, stages, fields and an entry exist), writes the credentials
for the hooks (fuzz_hooks.py) and runs `schemathesis run` on the served /v1/openapi.yaml.

    python3 Tests/fuzz/fuzz.py --base https://localhost:18443 --max-examples 3

`make test` runs it with a small budget (Tests/e2e/test_fuzz.py), `make fuzz` with a large one.
Exit status: schemathesis's (0 when no check failed).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import uuid

import requests

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def session(source: str | None = None) -> requests.Session:
    s = requests.Session()
    s.verify = False
    s.trust_env = False
    if source:
        from requests.adapters import HTTPAdapter

        class Adapter(HTTPAdapter):
            def init_poolmanager(self, *args, **kwargs):
                kwargs["source_address"] = (source, 0)
                return super().init_poolmanager(*args, **kwargs)

        s.mount("https://", Adapter())
    return s


def post_patiently(http: requests.Session, url: str, **kwargs) -> requests.Response:
    for _ in range(10):
        r = http.post(url, timeout=60, **kwargs)
        if r.status_code != 429:
            return r
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    return r


def make_workspace(base: str, keys: int = 6) -> dict:
    """A workspace of its own, with `keys` secret keys (nginx limits each credential to
    1,000 requests a minute, so the hooks spread the API-key operations over them)."""
    http = session("127.0.0.131")
    email = f"fuzz-{uuid.uuid4().hex[:10]}@fuzz.entercrm.test"
    password = "fuzz-password-1"
    r = post_patiently(http, f"{base}/v1/auth/register", json={
        "name": "Fuzz Owner", "email": email, "password": password, "workspace_name": "Fuzz Workspace"})
    r.raise_for_status()
    body = r.json()
    bearer = body["token"]
    auth = {"Authorization": f"Bearer {bearer}"}
    created = [http.post(f"{base}/v1/api-keys", json={"name": f"fuzz {i}"}, headers=auth, timeout=30).json()
               for i in range(keys)]
    slug = body["tenant"]["slug"]
    crm = f"{base}/api/brands/{slug}/crm"
    key = {"X-API-Key": created[0]["key"]}
    entity = http.post(f"{crm}/entities", json={"preset": "deals"}, headers=key, timeout=30).json()
    pipeline = entity["pipelines"][0]
    entry = http.post(f"{crm}/entities/{entity['id']}/entries", headers=key, timeout=30, json={
        "title": "Fuzz deal", "pipeline_id": pipeline["id"], "stage_id": pipeline["stages"][0]["id"]}).json()
    customer = http.post(f"{base}/v1/customers", headers=key, timeout=30,
                         json={"name": "Fuzz Customer", "email": "c@fuzz.entercrm.test"}).json()
    http.post(f"{base}/v1/track/event", headers=key, timeout=30,
              json={"customer_email": "c@fuzz.entercrm.test", "event": "purchase", "properties": {"amount": 10}})
    team = http.post(f"{base}/v1/teams", json={"name": "Fuzz team"}, headers=auth, timeout=30).json()
    sessions = http.get(f"{base}/v1/auth/sessions", headers=auth, timeout=30).json()["data"]
    segment = http.post(f"{base}/v1/segments", headers=key, timeout=30,
                        json={"name": "Fuzz segment", "filters": {"email_domain": "fuzz.entercrm.test"}}).json()
    campaign = http.post(f"{base}/v1/campaigns", headers=key, timeout=30, json={
        "name": "Fuzz campaign", "type": "email", "segment_id": segment["id"], "subject": "Hello {{first_name}}",
        "body": '<p>Hi {{name}}, <a href="https://example.com/offer">offer</a></p>'}).json()
    automation = http.post(f"{base}/v1/automations", headers=key, timeout=30, json={
        "name": "Fuzz automation", "trigger_type": "segment_entered", "trigger_config": {"segment_id": segment["id"]},
        "design": {"nodes": [{"id": "t", "type": "trigger", "data": {}},
                             {"id": "a", "type": "action", "data": {"action": "add_tag", "tag": "fuzz"}}],
                   "edges": [{"id": "e", "source": "t", "target": "a"}]}}).json()
    company = http.post(f"{base}/v1/companies", headers=key, timeout=30,
                        json={"name": "Fuzz Company", "domain": "fuzz.entercrm.test"}).json()
    template = http.post(f"{base}/v1/email-templates", headers=key, timeout=30, json={
        "key": "fuzz-1", "name": "Fuzz template", "subject": "Hi {{first_name}}", "body_html": "<p>Hello {{name}}</p>"}).json()
    return {
        "base": base, "email": email, "password": password, "bearer": bearer,
        "user_id": body["user"]["id"], "tenant_id": body["tenant"]["id"], "slug": slug,
        "session_ids": [s["id"] for s in sessions],
        "keys": [k["key"] for k in created], "key_ids": [k["id"] for k in created],
        "entity_id": entity["id"],
        # Ids that exist, which the hooks put in some of the cases so that they reach past the 404.
        "existing": {
            "customer": customer["id"], "team": team["id"], "pipeline": pipeline["id"],
            "stage": pipeline["stages"][0]["id"], "field": entity["fields"][0]["id"], "entry": entry["id"],
            "segment": segment["id"], "campaign": campaign["id"], "automation": automation["id"],
            "template": template["id"], "company": company["id"],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=os.environ.get("ENTERCRM_E2E_BASE", "https://localhost:18443"))
    parser.add_argument("--max-examples", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--report", default=None, help="write a JUnit XML report here")
    parser.add_argument("extra", nargs="*", help="more arguments for schemathesis run")
    args = parser.parse_args()

    import urllib3
    urllib3.disable_warnings()
    credentials = make_workspace(args.base)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(credentials, f)
        path = f.name
    env = dict(os.environ)
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    env["ENTERCRM_FUZZ_CREDENTIALS"] = path
    env["PYTHONPATH"] = f"{HERE}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["SCHEMATHESIS_HOOKS"] = "fuzz_hooks"
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(HERE / "schemathesis.toml"),
        "run", f"{args.base}/v1/openapi.yaml",
        "--url", args.base,
        "--checks", "all",
        "--mode", "all",
        "--max-examples", str(args.max_examples),
        "--workers", str(args.workers),
        "--tls-verify", "false",
        "--request-timeout", "30",
        "--max-failures", "50",
    ]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    if args.report:
        command += ["--report", "junit", "--report-junit-path", args.report]
    command += args.extra
    print("fuzz:", " ".join(command), flush=True)
    try:
        # Schemathesis keeps its replay cache in ./.schemathesis: in the run directory, not the repository.
        workdir = os.environ.get("ENTERCRM_RUN_DIR") or os.environ.get("RUN_DIR") or tempfile.gettempdir()
        return subprocess.run(command, env=env, cwd=workdir).returncode
    finally:
        os.unlink(path)


if __name__ == "__main__":
    sys.exit(main())
