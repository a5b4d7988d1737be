"""No personal data or secrets in the worker's log: a phone number sent in a wrong field, a birthday, the web
token and the input of rejected messages stay out of it (the dead letters have what an operator needs)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from schemas.topics import by_role
from streams.sdk.producer import EventProducer
from tests.factories import order, profile_changed
from tests.integration.helpers import Workers, read_topic

pytestmark = pytest.mark.integration
PHONE, BIRTHDAY, TOKEN = "13800138000", date(1990, 4, 23), "tok-7f3a9c-secret"
ORDER_EVENT, PROFILE_EVENT = "e-logs-order", "e-logs-profile"


@pytest.mark.parametrize(("log_format", "log_level"), [("text", "info"), ("json", "debug")])
def test_the_worker_log_holds_no_phone_number_birthday_or_token(
    workers: Workers, log_format: str, log_level: str
) -> None:
    settings = workers.start(clock="wall", web_token=TOKEN, log_format=log_format, log_level=log_level)
    now = datetime.now(UTC)
    mistaken = order("c-logs", at=now).model_dump(mode="json") | {"total": PHONE}  # a phone in a wrong field
    with EventProducer(settings) as producer:
        producer.send(
            profile_changed("c-logs", at=now, birthday=BIRTHDAY, consents={"sms": True}, event_id=PROFILE_EVENT)
        )
        producer.send(order("c-logs", at=now, event_id=ORDER_EVENT))
        producer.send_raw(by_role("orders"), b"c-logs", json.dumps(mistaken).encode())
        producer.send_raw(by_role("orders"), PHONE.encode(), b"{" + PHONE.encode())  # not JSON, keyed by it
    read_topic(settings, settings.topic_name(by_role("dead_letters")), lambda v: len(v) >= 2)
    # The order was decided on (its welcome's record is published whatever the contact policy made of it).
    assert read_topic(settings, settings.topic_name(by_role("decisions")), lambda v: len(v) >= 1)
    workers.stop_all()
    log = "\n".join(path.read_text(errors="replace") for path in workers.logs)
    assert "dead-lettered" in log  # the log did see the rejections
    for secret in (PHONE, BIRTHDAY.isoformat(), TOKEN):
        assert secret not in log
    if log_format == "json":
        _assert_structured(log)


def _assert_structured(log: str) -> None:
    """Every logged line is one JSON object with time, level and logger; the rejections carry their counts and
    the contact stage's records their trigger and decision ids, and (at debug level) each applied event its id
    (Faust's start-up banner is not a log record)."""
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert records and all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert not [line for line in log.splitlines() if line.startswith("[20")]  # no plain "[2026-..." log lines
    rejected = [r for r in records if "dead_letters" in r]
    assert rejected and all(r["level"] == "WARNING" for r in rejected)
    decided = [r for r in records if "decision_id" in r]
    assert decided and all(r["trigger_id"] and r["trigger_type"] == "welcome" for r in decided)
    applied = [r for r in records if r["message"].startswith("applied ") and r["logger"].endswith(".customers")]
    assert all(isinstance(r["triggers"], int) for r in applied)  # how many it made: 0 when the welcome waits
    on_products = [r for r in records if r["message"].startswith("applied ") and r["logger"].endswith(".products")]
    assert all(isinstance(r["to_customers"], int) and isinstance(r["held"], int) for r in on_products)
    assert {(r["message_type"], r["event_id"]) for r in applied if "event_id" in r} >= {
        ("customer_profile_changed", PROFILE_EVENT),
        ("order_placed", ORDER_EVENT),
    }
