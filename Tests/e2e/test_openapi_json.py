"""GET /v1/openapi.json: the one openapi.yaml, parsed by the server (Yams) and served as JSON
for the console's API reference. It must be exactly what PyYAML reads from the same file,
keys in the file's order, under the same access rules as /v1/openapi.yaml."""

from __future__ import annotations

import json

import yaml

from .support import ROOT


def expected() -> dict:
    # JSON has string keys only; a round trip through json makes PyYAML's value comparable.
    return json.loads(json.dumps(yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))))


def key_order_differences(a, b, where: str = "$") -> list[str]:
    """Places where two equal values list an object's keys in a different order."""
    out: list[str] = []
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            out.append(where)
        for key in a:
            if key in b:
                out += key_order_differences(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            out += key_order_differences(x, y, f"{where}[{i}]")
    return out


def test_openapi_json_is_the_yaml_as_pyyaml_reads_it(http, base):
    response = http.get(f"{base}/v1/openapi.json")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    served = response.json()
    want = expected()
    assert served == want
    assert key_order_differences(served, want) == []
    # And the YAML route serves the same file.
    assert json.loads(json.dumps(yaml.safe_load(http.get(f"{base}/v1/openapi.yaml").text))) == served
    assert "/v1/openapi.json" in served["paths"] and served["openapi"].startswith("3.1")


def test_openapi_json_asks_what_openapi_yaml_asks(http, base):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"X-API-Key": "sk_not_a_key"}):
        statuses = {path: http.get(f"{base}{path}", headers=headers).status_code
                    for path in ("/v1/openapi.yaml", "/v1/openapi.json")}
        assert statuses["/v1/openapi.json"] == statuses["/v1/openapi.yaml"], (headers, statuses)
    assert http.get(f"{base}/v1/openapi.json").status_code == 200
    # Served twice from the kept bytes, the same document.
    assert http.get(f"{base}/v1/openapi.json").content == http.get(f"{base}/v1/openapi.json").content


def test_the_console_has_no_yaml_reader_left(http, base):
    assert http.get(f"{base}/js/yaml.js").status_code == 404
    page = http.get(f"{base}/js/pages/api-reference.js")
    assert page.status_code == 200
    assert "/v1/openapi.json" in page.text and "yaml.js" not in page.text
