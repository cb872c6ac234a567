"""Schemathesis hooks for EnterCRM (loaded with SCHEMATHESIS_HOOKS=fuzz_hooks by fuzz.py).

- Credentials come from an auth provider, so that schemathesis knows them as explicit auth
  and its `ignored_auth` check can take them away: user-session operations get the owner's
  bearer token; the others a secret key in X-API-Key (or EF-Access-Key on the CRM), taken in
  turn from several keys because nginx limits each credential to 1,000 requests a minute.
- Operations that end a session (logout, switch, password, revoking a session) get a
  throwaway token of the same user, logged in from addresses of their own (nginx allows
  10 logins a minute per address), so the fuzzer cannot sign its own workspace out.
- The fuzzer may not revoke the keys, the session or the membership it works with: such
  ids are replaced by one that does not exist; nor delete its workspace.
- CRM paths mostly get the workspace's own brand (else every CRM case is a 404), and one case
  in three gets ids that exist (customer, team, pipeline, stage, field, entry, segment,
  campaign, automation).
- Campaigns deliver only to the development mailbox and the loopback: delivery settings that
  name an SMTP host get it cleared (the mailbox takes the mail), an SMS webhook URL is pointed
  at a closed port on 127.77.0.1, the one internal address the stack allows. So sends and test sends reach no one.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import re
import threading
import time

import requests
import schemathesis
from requests.adapters import HTTPAdapter

CREDENTIALS = json.load(open(os.environ["ENTERCRM_FUZZ_CREDENTIALS"]))
MISSING_ID = 2_000_000_000

USER_SESSION_OPERATIONS = {"logout", "switchWorkspace", "changePassword", "revokeSession"}

_keys = itertools.cycle(CREDENTIALS["keys"])
_lock = threading.Lock()
_login_count = itertools.count()


class _Source(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def throwaway_token() -> str:
    """A fresh session of the fuzz user, from 127.0.1.N (eight logins per address)."""
    n = next(_login_count)
    http = requests.Session()
    http.verify = False
    http.trust_env = False
    http.mount("https://", _Source(f"127.0.{1 + n // 2000}.{1 + (n // 8) % 250}"))
    for _ in range(10):
        r = http.post(f"{CREDENTIALS['base']}/v1/auth/login", timeout=60,
                      json={"email": CREDENTIALS["email"], "password": CREDENTIALS["password"]})
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "2")), 10))
    r.raise_for_status()
    return r.json()["token"]


def security_names(operation) -> set[str]:
    security = operation.definition.raw.get("security")
    if security is None:
        security = operation.schema.raw_schema.get("security", [])
    return {name for requirement in security for name in requirement}


CREDENTIAL_HEADERS = {"authorization", "x-api-key", "ef-access-key"}


def one_credential(headers, query=None) -> None:
    """Leaves one credential of a request (headers and query, dicts changed in place): a
    header over `?key=`, and of the headers ours if it is there, else the first. An operation's security schemes are alternatives
    (OpenAPI's security list is an OR), but the fuzzing phase may fill in every one of them
    at once, a header and `?key=` included, which the API refuses with 400 (one credential
    per request). A generated key holding a comma is dropped too: by RFC 9110 it is the header
    sent twice, also a 400 (documented in openapi.yaml's description;
    Tests/e2e/test_credentials.py sends both on purpose)."""
    headers = headers if headers is not None else {}
    for name in [n for n in headers if n.lower() in ("x-api-key", "ef-access-key") and "," in str(headers[n])]:
        del headers[name]
    names = [name for name in headers if name.lower() in CREDENTIAL_HEADERS]
    if names and query is not None and "key" in query:
        del query["key"]  # a header wins over ?key=
    if len(names) < 2:
        return
    ours = {CREDENTIALS.get("bearer"), *CREDENTIALS.get("keys", [])}
    keep = next((n for n in names if str(headers[n]).removeprefix("Bearer ") in ours), names[0])
    for name in names:
        if name != keep:
            del headers[name]


@schemathesis.hook
def before_call(ctx, case, kwargs):
    one_credential(case.headers, case.query)
    one_credential(kwargs.get("headers"), kwargs.get("params"))


@schemathesis.auth()
class EnterCRMAuth:
    def get(self, case, ctx):
        return CREDENTIALS

    def set(self, case, data, ctx):
        names = security_names(case.operation)
        if not names:
            return
        operation_id = case.operation.definition.raw.get("operationId")
        # Exactly one credential: the API refuses a request carrying more than one (400), so
        # credential headers the fuzzer generated itself give way to the one set here.
        headers = {name: value for name, value in (case.headers or {}).items()
                   if name.lower() not in CREDENTIAL_HEADERS}
        if operation_id in USER_SESSION_OPERATIONS:
            headers["Authorization"] = f"Bearer {throwaway_token()}"
        elif names == {"bearerAuth"}:
            headers["Authorization"] = f"Bearer {data['bearer']}"
        else:
            with _lock:
                key = next(_keys)
            if "efAccessKey" in names and case.path.startswith("/api/"):
                headers["EF-Access-Key"] = key
            else:
                headers["X-API-Key"] = key
        case.headers = headers


PROTECTED = {
    "revokeSession": ("id", set(CREDENTIALS["session_ids"])),
    "revokeAPIKey": ("id", set(CREDENTIALS["key_ids"])),
    "removeMember": ("id", {CREDENTIALS["user_id"]}),
    "updateMember": ("id", {CREDENTIALS["user_id"]}),
    # The customer that notes and tasks name (consistent_fields) stays.
    "eraseCustomer": ("id", {CREDENTIALS["existing"]["customer"]}),
    "deleteCompany": ("id", {CREDENTIALS["existing"]["company"]}),
}

_brand_counter = itertools.count()


# A closed port on the address the test stacks allow past the outbound guard
# (ENTERCRM_OUTBOUND_ALLOW=127.77.0.1/32): any other internal address is refused with 422.
LOOPBACK_SMS_WEBHOOK = "http://127.77.0.1:9/sms"


def keep_delivery_local(case) -> None:
    """Settings that would send mail, SMS or webhooks elsewhere are pointed at the mailbox and
    the loopback. Only values that stay valid are replaced, so a negative case stays negative."""
    body = case.body
    if not isinstance(body, dict):
        return
    host = body.get("smtp_host")
    if isinstance(host, str) and 0 < len(host) <= 190:
        body["smtp_host"] = ""
    for key in ("sms_webhook_url", "url"):
        url = body.get(key)
        if isinstance(url, str) and len(url) <= 1024 and url.lower().startswith(("http://", "https://")):
            body[key] = LOOPBACK_SMS_WEBHOOK


# What single-line text fields refuse (Input.controlCharacterProblem in Sources/Web/Input.swift,
# documented in openapi.yaml's description): C0 controls, DEL, C1 controls, line and paragraph
# separators, bidirectional controls. Fields that take several lines (descriptions) take tab,
# LF and CR; they are replaced there too, which keeps a positive case positive.
CONTROL_CHARACTERS = re.compile("[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]")


def without_control_characters(case) -> None:
    """A positive case's text without the characters the API refuses in single-line text (422
    naming the field, `traits.country` say: a rule no JSON Schema keyword of theirs states).
    Replaced, not removed, so that lengths stay within the schema's bounds."""
    def clean(value):
        if isinstance(value, str):
            return CONTROL_CHARACTERS.sub("x", value)
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value
    if isinstance(case.body, dict):
        case.body = clean(case.body)


def is_negative(case) -> bool:
    """Whether schemathesis generated this case to break the schema."""
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return str(getattr(mode, "value", mode)).lower() == "negative"


SEGMENT_CALLS = {"segmentBatch", "segmentTrack", "segmentIdentify", "segmentPage", "segmentScreen", "segmentGroup", "segmentAlias"}
TIMELINES = {"customerTimeline", "companyTimeline", "getEntryTimeline", "getEntityEntryTimeline"}


def consistent_fields(case, operation_id) -> None:
    """What a schema cannot say, made true of a positive case: a subject id of its subject type
    (notes, tasks), a member for `assignee_id` and `owner_id` (an API key is no member, so `me`
    is a 422 with one), no made-up timeline cursor, and a dashboard range that ends after it starts."""
    existing = CREDENTIALS["existing"]
    # The fuzzer's entry can go with a deleted entity (a random small id): the customer stays.
    for holder, as_text in ((case.body, False), (case.query, True)):
        if not isinstance(holder, dict):
            continue
        if holder.get("subject_type") is not None or holder.get("subject_id") is not None:
            holder["subject_type"] = "customer"
            holder["subject_id"] = str(existing["customer"]) if as_text else existing["customer"]
        if holder.get("assignee_id") not in (None, "none"):
            holder["assignee_id"] = str(CREDENTIALS["user_id"]) if as_text else CREDENTIALS["user_id"]
        # A list's owner filter: `me` names the signed-in member, which an API key is not (422).
        if holder.get("owner_id") == "me":
            holder["owner_id"] = str(CREDENTIALS["user_id"])
    if operation_id in ("replaceEntryAssociations", "replaceEntityEntryAssociations") and isinstance(case.body, dict):
        for field, kind in (("customer_ids", "customer"), ("company_ids", "company")):
            if isinstance(case.body.get(field), list) and case.body[field]:
                case.body[field] = [existing[kind]]
    # A Segment message's times are ISO 8601 date-times as the libraries write them, and an
    # alias names the previous id: what the spec says and a schema of strings cannot.
    if operation_id in SEGMENT_CALLS and isinstance(case.body, dict):
        messages = case.body.get("batch") if operation_id == "segmentBatch" else [case.body]
        for message in messages if isinstance(messages, list) else []:
            if not isinstance(message, dict):
                continue
            for key in ("timestamp", "originalTimestamp"):
                if key in message:
                    message[key] = "2026-03-20T09:00:00.000Z"
            kind = message.get("type") if operation_id == "segmentBatch" else operation_id[len("segment"):].lower()
            if kind == "alias":
                message["previousId"] = "fuzz-previous"
            if kind in ("alias", "identify") or not (message.get("userId") or message.get("anonymousId")):
                message["userId"] = "fuzz-user"
            if kind == "group":
                message["groupId"] = "fuzz-group"
            if kind == "track":
                message["event"] = "Fuzz Event"
        if "sentAt" in case.body:
            case.body["sentAt"] = "2026-03-20T09:00:01.000Z"
    # A preview for a customer names one of the workspace's.
    if operation_id == "previewCampaign" and isinstance(case.body, dict) and "customer_id" in case.body:
        case.body["customer_id"] = existing["customer"]
    # A timeline's cursor is one the API gave (an opaque token); any other is a 422.
    if operation_id in TIMELINES and isinstance(case.query, dict):
        case.query.pop("cursor", None)
    # An import's target entity is the workspace's; its settings cannot know the uploaded
    # file's columns (a mapping has one entry a column, and update modes need the key mapped).
    if operation_id == "uploadImport" and isinstance(case.query, dict) and str(case.query.get("target", "")).startswith("entity:"):
        case.query["target"] = f"entity:{CREDENTIALS['entity_id']}"
    # An entity's columns are its fields' keys, which a schema cannot list.
    if operation_id == "exportEntries" and isinstance(case.query, dict):
        case.query.pop("columns", None)
    if operation_id == "configureImport" and isinstance(case.body, dict):
        for key in ("mapping", "key_field", "pipeline_id"):
            case.body.pop(key, None)
        case.body["mode"] = "create"
    # A saved view's filters, sort and columns are its list's own (the list's parser decides):
    # positive cases get ones the customer list takes; an update keeps the view's list.
    if operation_id in ("createView", "updateView", "patchView") and isinstance(case.body, dict):
        if operation_id == "createView":
            case.body["list"] = "customers"
        else:
            case.body.pop("list", None)
        if "filters" in case.body:
            case.body["filters"] = {"country": "HR"}
        if isinstance(case.body.get("sort"), dict):
            case.body["sort"] = {"field": "name", "order": "asc"}
        if isinstance(case.body.get("columns"), list):
            case.body["columns"] = ["name", "email"]
    if operation_id == "listViews" and isinstance(case.query, dict) and str(case.query.get("list", "")).startswith("entries:"):
        case.query["list"] = f"entries:{CREDENTIALS['entity_id']}"
    # Which actions and records a bulk action may take depends on its target and the records:
    # a positive case tags one existing customer.
    if operation_id == "bulkAction" and isinstance(case.body, dict):
        case.body = {"target": "customers", "ids": [existing["customer"]], "action": {"type": "add_tags", "tags": ["fuzz"]}}
    if operation_id == "getDashboard" and isinstance(case.query, dict):
        start = case.query.get("from")
        if isinstance(start, str):
            try:
                case.query["to"] = (datetime.date.fromisoformat(start[:10]) + datetime.timedelta(days=7)).isoformat()
            except ValueError:
                pass
        elif case.query.get("to") not in (None, ""):
            case.query.pop("to", None)


@schemathesis.hook
def map_case(ctx, case):
    operation_id = case.operation.definition.raw.get("operationId")
    if not is_negative(case):
        without_control_characters(case)
        consistent_fields(case, operation_id)
    # Webhook subscriptions too: a host that does not resolve would hold the job runner's
    # delivery threads (seconds a call) while the tests after the fuzz wait for theirs.
    if operation_id in ("updateCampaignSettings", "createWebhook", "updateWebhook"):
        keep_delivery_local(case)
    # The fuzzer's records are never deleted in bulk (a delete with an ignored bad field would run).
    if operation_id == "bulkAction" and isinstance(case.body, dict) and isinstance(case.body.get("action"), dict) \
            and case.body["action"].get("type") == "delete":
        case.body["action"]["type"] = "remove_tags"
    # The fuzzer's own workspace is never deleted: a confirm that names it names another.
    if operation_id == "deleteWorkspace" and isinstance(case.body, dict) and case.body.get("confirm") == CREDENTIALS["slug"]:
        case.body["confirm"] = CREDENTIALS["slug"] + "-kept"
    parameters = case.path_parameters
    if parameters is None:
        return case
    if operation_id in PROTECTED:
        name, ids = PROTECTED[operation_id]
        try:
            if int(str(parameters.get(name))) in ids:
                parameters[name] = MISSING_ID
        except ValueError:
            pass
    # The stateful phase links ids from the answers of earlier calls: keep them, in the own brand.
    stateful = str(getattr(getattr(case.meta, "phase", None), "name", "")) == "stateful"
    if stateful:
        if "brand" in parameters:
            parameters["brand"] = CREDENTIALS["slug"]
        return case
    # Nine CRM cases in ten in the workspace's own brand (by slug or by id); the rest keep
    # the generated value, which must answer 404.
    if "brand" in parameters and next(_brand_counter) % 10:
        parameters["brand"] = CREDENTIALS["slug"] if next(_brand_counter) % 2 else str(CREDENTIALS["tenant_id"])
    if "entity" in parameters and next(_brand_counter) % 3 == 0:
        parameters["entity"] = str(CREDENTIALS["entity_id"])
    # One case in three on an id that exists (else nearly every case of these operations is a 404).
    # Not for deletes, so that the objects stay for the other cases, and not for negative cases,
    # whose invalid id must stay invalid.
    existing = CREDENTIALS["existing"]
    if (next(_brand_counter) % 3 == 0 and operation_id not in PROTECTED and case.method.upper() != "DELETE"
            and not is_negative(case)):
        for name in ("pipeline", "stage", "field", "entry"):
            if name in parameters:
                parameters[name] = existing[name]
        if "id" in parameters:
            if case.path.startswith("/v1/customers/"):
                parameters["id"] = existing["customer"]
            elif case.path.startswith("/v1/companies/") and "company" in existing:
                parameters["id"] = existing["company"]
            elif case.path.startswith("/v1/teams/"):
                parameters["id"] = existing["team"]
            elif case.path.startswith("/v1/segments/"):
                parameters["id"] = existing["segment"]
            elif case.path.startswith("/v1/campaigns/"):
                parameters["id"] = existing["campaign"]
            elif case.path.startswith("/v1/automations/"):
                parameters["id"] = existing["automation"]
            elif case.path.startswith("/v1/email-templates/") and "template" in existing:
                parameters["id"] = existing["template"]
    return case
