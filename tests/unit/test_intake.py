"""Intake: a raw Kafka record becomes a contract, or a Rejection saying precisely why it cannot."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from factories import T0, hours, order, view

from schemas.control import TimerTick, WatermarkAdvanced
from schemas.events import OrderPlaced
from schemas.topics import TOPICS, by_role
from streams.runtime.intake import Rejection, dead_letter, decode

ORDERS, BEHAVIOR, TICKS = by_role("orders"), by_role("behavior"), by_role("ticks")
WATERMARKED = [t for t in TOPICS if t.accepts("watermark_advanced")]
LIMIT = 64 * 1024


def _body(**changes: Any) -> dict[str, Any]:
    """A valid order_placed message as JSON-ready data, with some fields changed or (None) removed."""
    body = order(customer_id="c1", order_id="o1", event_id="e1").model_dump(mode="json")
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _rejected(value: bytes | None, key: bytes | None = b"c1", spec=ORDERS, max_bytes: int = LIMIT) -> Rejection:
    result = decode(key, value, spec, max_bytes)
    assert isinstance(result, Rejection), result
    return result


def test_a_valid_event_decodes_to_its_model() -> None:
    placed = order(customer_id="c1")
    assert decode(b"c1", placed.model_dump_json().encode(), ORDERS, LIMIT) == placed


@pytest.mark.parametrize(
    "value",
    [b"{not json", b"\xc3\x28", '{"type": "café"}'.encode("latin-1"), b"", None],
    ids=["garbage", "invalid UTF-8", "Latin-1", "empty", "no value"],
)
def test_a_value_that_is_not_utf8_json_is_not_json(value: bytes | None) -> None:
    assert _rejected(value).code == "not_json"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_valid_event_encoded_other_than_in_utf8_is_not_json(encoding: str) -> None:
    """JSON between systems is UTF-8 (RFC 8259); other encodings are dead-lettered, not guessed."""
    assert _rejected(json.dumps(_body()).encode(encoding)).code == "not_json"


def test_a_value_over_the_size_limit_is_too_large_and_says_both_sizes() -> None:
    value = _bytes(_body())
    rejection = _rejected(value, max_bytes=len(value) - 1)
    assert rejection.code == "too_large"
    assert str(len(value)) in rejection.reason and str(len(value) - 1) in rejection.reason
    assert decode(b"c1", value, ORDERS, len(value)) is not None  # exactly at the limit is fine


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body(customer_id=None), "customer_id"),
        (_body(occurred_at="2025-03-03T09:30:00"), "occurred_at"),
        (_body(total=-1), "total"),
        (_body(lines=[]), "lines"),
        (_body(surprise="field"), "surprise"),
    ],
    ids=["missing customer_id", "naive datetime", "negative total", "no lines", "unknown field"],
)
def test_an_invalid_event_is_invalid_and_names_the_field(body: dict[str, Any], field: str) -> None:
    rejection = _rejected(_bytes(body))
    assert rejection.code == "invalid"
    assert field in rejection.reason


def test_json_that_is_not_an_object_is_invalid() -> None:
    assert _rejected(b'["order_placed"]').code == "invalid"


@pytest.mark.parametrize(
    "body",
    [_body(type="order_teleported"), _body(type=None), _body(type=7)],
    ids=["unknown name", "no type", "not a string"],
)
def test_a_message_of_an_unknown_type_is_unknown_type(body: dict[str, Any]) -> None:
    assert _rejected(_bytes(body)).code == "unknown_type"


def test_a_newer_major_version_is_unsupported_but_a_newer_minor_is_accepted() -> None:
    """Minor versions only add optional fields; a new major may change meaning, so it is dead-lettered."""
    assert _rejected(_bytes(_body(schema_version="2.0"))).code == "unsupported_version"
    accepted = decode(b"c1", _bytes(_body(schema_version="1.7")), ORDERS, LIMIT)
    assert isinstance(accepted, OrderPlaced) and accepted.schema_version == "1.7"


def test_an_event_on_another_topic_than_its_own_is_wrong_topic() -> None:
    seen = view(customer_id="c1")
    assert _rejected(seen.model_dump_json().encode(), spec=ORDERS).code == "wrong_topic"
    assert decode(b"c1", seen.model_dump_json().encode(), BEHAVIOR, LIMIT) == seen


@pytest.mark.parametrize("key", [b"c2", None, b""], ids=["another customer", "no key", "empty key"])
def test_a_key_other_than_the_customer_id_is_a_key_mismatch(key: bytes | None) -> None:
    """The key decides the partition: a wrong key would fold the event into the wrong customer's state."""
    rejection = _rejected(_bytes(_body()), key=key)
    assert rejection.code == "key_mismatch"
    assert "c1" in rejection.reason


def test_a_timer_tick_on_the_ticks_topic_decodes() -> None:
    tick = TimerTick(customer_id="c1", at=T0)
    assert decode(b"c1", tick.model_dump_json().encode(), TICKS, LIMIT) == tick


@pytest.mark.parametrize("spec", WATERMARKED, ids=[t.role for t in WATERMARKED])
@pytest.mark.parametrize("key", [None, b"anything"])
def test_a_watermark_decodes_whatever_its_key_on_a_topic_that_carries_watermarks(spec, key: bytes | None) -> None:
    mark = WatermarkAdvanced(at=T0)
    assert decode(key, mark.model_dump_json().encode(), spec, LIMIT) == mark


def test_a_customer_event_on_the_ticks_topic_is_wrong_topic() -> None:
    assert _rejected(_bytes(_body()), spec=TICKS).code == "wrong_topic"


@pytest.mark.parametrize(("key", "value"), [(b"c1", b"\x00\xff{oops"), (None, b"x"), (b"k", None)])
def test_a_dead_letter_keeps_the_original_bytes_and_where_they_came_from(
    key: bytes | None,
    value: bytes | None,
) -> None:
    rejection = Rejection("not_json", "not UTF-8 JSON")
    letter = dead_letter(rejection, key, value, topic=ORDERS.name, partition=3, offset=1234, now=T0 + hours(1))
    assert base64.b64decode(letter.value_base64) == (value or b"")
    assert letter.key_base64 is None if key is None else base64.b64decode(letter.key_base64) == key
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (ORDERS.name, 3, 1234)
    assert (letter.code, letter.reason, letter.rejected_at) == (rejection.code, rejection.reason, T0 + hours(1))
