"""What both chaos runs (`make chaos`, Tests/chaos/chaos.py, and the reduced round in
Tests/e2e/test_chaos.py) send through the faults: a campaign that mails each recipient once,
and an automation that tags, mails once and tags again every customer created."""

from __future__ import annotations


def campaign(name: str, segment_id: int) -> dict:
    return {"name": name, "type": "email", "segment_id": segment_id,
            "subject": "Hello {{email}}", "body": "<p>Once only, {{email}}</p>"}


def automation(name: str) -> dict:
    return {"name": name, "trigger_type": "customer_created"}


# customer created -> tag chaos-a -> send an email -> tag chaos-b
DESIGN = {
    "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 0, "y": 0}},
              {"id": "2", "type": "action", "data": {"action": "add_tag", "tag": "chaos-a"}, "position": {"x": 0, "y": 100}},
              {"id": "3", "type": "action", "data": {"action": "send_email", "subject": "Welcome {{email}}", "body": "Once."},
               "position": {"x": 0, "y": 200}},
              {"id": "4", "type": "action", "data": {"action": "add_tag", "tag": "chaos-b"}, "position": {"x": 0, "y": 300}}],
    "edges": [{"id": "e1", "source": "1", "target": "2"}, {"id": "e2", "source": "2", "target": "3"},
              {"id": "e3", "source": "3", "target": "4"}],
}
