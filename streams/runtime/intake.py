"""Decode one raw Kafka record into a contract, or say precisely why it cannot be accepted, and what to do.

Two steps. :func:`decode` checks the contract: a message is accepted exactly when it is valid against its
published JSON Schema (``comeback schema``) and sits on its topic under its key; validation runs in
pydantic's strict JSON mode, so "199" is not a number and 1700000000 is not a time. Given the policy, it then
checks what the schema cannot know (:func:`check_plausible`): an ``occurred_at`` within the policy's window
around the engine's clock, and amounts in the shop's currency (converted when the policy maps a rate).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from schemas.base import SCHEMA_MAJOR, Envelope
from schemas.control import CONTROL_TYPES, WatermarkAdvanced
from schemas.dead_letter import DeadLetter, RejectionCode
from schemas.events import EVENT_TYPES, OrderPlaced, OrderRefunded
from schemas.topics import TOPICS, TopicSpec
from streams.domain.policy import IntakePolicy, Policy, ShopPolicy

__all__ = ["Rejection", "check_plausible", "dead_letter", "decode"]


_MESSAGE_TYPES: dict[str, type[BaseModel]] = {**EVENT_TYPES, **CONTROL_TYPES}
_HOMES = {kind: " or ".join(spec.name for spec in TOPICS if spec.accepts(kind)) for kind in _MESSAGE_TYPES}
_MAJOR = re.compile(r"([0-9]{1,9})\.")


@dataclass(frozen=True)
class Rejection:
    code: RejectionCode
    reason: str


class _NotFinite(ValueError):
    pass


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotFinite(text)
    return number


def _no_constant(name: str) -> float:
    raise _NotFinite(name)


def _parse_json(value: bytes | None, max_bytes: int) -> dict[str, Any] | Rejection:
    if value is None or not value:
        return Rejection("not_json", "the message has no value: send one JSON object per record")
    if len(value) > max_bytes:
        return Rejection(
            "too_large",
            f"the message is {len(value)} bytes; the limit is {max_bytes} (COMEBACK_MAX_MESSAGE_BYTES): "
            "split it (e.g. fewer order lines per event) or raise the limit",
        )
    try:
        # bytes would also be sniffed as UTF-16 or UTF-32; NaN and Infinity are not JSON (RFC 8259)
        body = json.loads(value.decode("utf-8"), parse_float=_finite, parse_constant=_no_constant)
    except _NotFinite as exc:
        return Rejection("invalid", f"the number {exc} is not a finite JSON number: send a finite number")
    except RecursionError:
        return Rejection("not_json", "the JSON is nested too deeply to read")
    except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError, an integer of over 4300 digits
        return Rejection("not_json", f"not UTF-8 JSON: {exc}; send one UTF-8 JSON object per record")
    if not isinstance(body, dict):
        return Rejection("invalid", f"expected a JSON object, got {_json_kind(body)}")
    return body


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    return "an object"


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "datetime_type": "an RFC 3339 date-time string, e.g. 2024-05-01T09:30:00+08:00",
    "date_type": "a date string, YYYY-MM-DD",
    "tuple_type": "an array",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def _problem(error: ErrorDetails) -> str:
    kind, given = error["type"], error.get("input")
    where = _where(error["loc"])
    subject = f"field {where}" if where else "the message"
    if kind == "missing":
        return f"{subject}: required, but missing"
    if kind in _EXPECTED:
        got = _json_kind(given) if given is None else f"{_json_kind(given)} ({_shown(given)})"
        return f"{subject}: expected {_EXPECTED[kind]}, got {got}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{subject}: {message} (got {_shown(given)})"


def _validation_reason(exc: ValidationError, model: type[BaseModel]) -> str:
    errors = exc.errors(include_url=False)
    inside = {tuple(e["loc"][:n]) for e in errors for n in range(len(e["loc"]))}
    # a tuple whose items failed also reports "too short after validation": the items say it better
    shown = [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in inside)] or errors
    problems = "; ".join(_problem(e) for e in shown)
    return f"{problems}. The {model.__name__} JSON Schema (comeback schema --out DIR) states every field"


def _check_version(body: dict[str, Any], model: type[BaseModel]) -> Rejection | None:
    version = body.get("schema_version")
    if "schema_version" not in model.model_fields or not isinstance(version, str):
        return None
    major = _MAJOR.match(version)
    if major and int(major.group(1)) > SCHEMA_MAJOR:
        return Rejection(
            "unsupported_version",
            f"schema_version {version} is a newer major than this engine reads ({SCHEMA_MAJOR}.x): "
            f"upgrade the engine, or send {SCHEMA_MAJOR}.x messages",
        )
    return None


def _check_key(model: BaseModel, key: bytes | None, spec: TopicSpec) -> Rejection | None:
    expected = getattr(model, spec.key, None)
    if expected is not None and key != expected.encode():
        shown = "none" if key is None else repr(key.decode(errors="replace"))
        return Rejection(
            "key_mismatch",
            f"the key must be the {spec.key} {expected!r} (it picks the partition that holds the state); got {shown}",
        )
    return None


def decode(
    key: bytes | None,
    value: bytes | None,
    spec: TopicSpec,
    max_bytes: int,
    *,
    policy: Policy | None = None,
    now: datetime | None = None,
) -> BaseModel | Rejection:
    """The event (or control message) in ``value``, validated for the topic ``spec``; else a Rejection.

    Without ``policy`` only the contract is checked (what the published JSON Schema says, plus topic and
    key). With it, :func:`check_plausible` runs too: ``now`` (the engine's wall clock) bounds occurred_at
    from above, the policy's floor from below, and amounts must be in the shop's currency.
    """
    body = _parse_json(value, max_bytes)
    if isinstance(body, Rejection):
        return body
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in _MESSAGE_TYPES:
        known = ", ".join(sorted(_MESSAGE_TYPES))
        return Rejection("unknown_type", f"unknown message type {_shown(kind)}; known: {known}")
    if not spec.accepts(kind):
        return Rejection("wrong_topic", f"{kind} belongs on {_HOMES[kind]}, not {spec.name}: send it there")
    model_type = _MESSAGE_TYPES[kind]
    if rejected := _check_version(body, model_type):
        return rejected
    assert value is not None  # _parse_json rejected an empty value
    try:
        model = model_type.model_validate_json(value, strict=True)
    except ValidationError as exc:
        return Rejection("invalid", _validation_reason(exc, model_type))
    if rejected := _check_key(model, key, spec):
        return rejected
    return model if policy is None else check_plausible(model, policy=policy, now=now)


def check_plausible(message: BaseModel, *, policy: Policy, now: datetime | None) -> BaseModel | Rejection:
    """``message`` (amounts in the shop's currency), or why it cannot be true; ``now`` None skips the skew check."""
    if isinstance(message, Envelope) and (rejected := _check_time(message.occurred_at, policy.intake, now)):
        return rejected
    if isinstance(message, WatermarkAdvanced) and (rejected := _check_time(message.at, policy.intake, now, "at")):
        return rejected  # a watermark in 2099 would fire every timer, and be saved for good
    if isinstance(message, OrderPlaced | OrderRefunded):
        return _in_shop_currency(message, policy.shop)
    return message


def _check_time(
    at: datetime, bounds: IntakePolicy, now: datetime | None, field: str = "occurred_at"
) -> Rejection | None:
    floor = datetime.combine(bounds.earliest_occurred_at, time(), tzinfo=UTC)
    if at < floor:
        return Rejection(
            "implausible_time",
            f"{field} {at.isoformat()} is before {bounds.earliest_occurred_at} (policy "
            "intake.earliest_occurred_at): a default or zero date? Send when it happened",
        )
    if now is not None and at > now + timedelta(hours=bounds.max_future_skew_hours):
        return Rejection(
            "implausible_time",
            f"{field} {at.isoformat()} is more than {bounds.max_future_skew_hours:g} h ahead of the engine's "
            f"clock ({now.isoformat()}; policy intake.max_future_skew_hours): check the producer's clock and the "
            "offset it writes",
        )
    return None


def _in_shop_currency(event: OrderPlaced | OrderRefunded, shop: ShopPolicy) -> BaseModel | Rejection:
    currency = event.currency
    if currency is None or currency == shop.currency:
        return event
    rate = shop.exchange_rates.get(currency)
    if rate is None:
        return Rejection(
            "wrong_currency",
            f"{event.type} is in {currency}, the shop keeps amounts in {shop.currency}: send {shop.currency} "
            f"amounts, or map a rate in the policy (shop.exchange_rates: {{{currency}: <{shop.currency} per "
            f"{currency}>}})",
        )
    data = event.model_dump()
    if isinstance(event, OrderPlaced):
        data |= {"total": event.total * rate, "discount": event.discount * rate}
        data["lines"] = [
            line
            | {
                "unit_price": line["unit_price"] * rate,
                "list_price": None if line["list_price"] is None else line["list_price"] * rate,
            }
            for line in data["lines"]
        ]
    else:
        data["amount"] = event.amount * rate
    try:
        return type(event).model_validate(data | {"currency": shop.currency})
    except ValidationError as exc:
        return Rejection(
            "invalid", f"in {shop.currency} at {rate:g} per {currency}: {_validation_reason(exc, type(event))}"
        )


def dead_letter(
    rejection: Rejection,
    key: bytes | None,
    value: bytes | None,
    *,
    topic: str,
    partition: int,
    offset: int,
    now: datetime,
) -> DeadLetter:
    return DeadLetter(
        code=rejection.code,
        reason=rejection.reason,
        source_topic=topic,
        source_partition=partition,
        source_offset=offset,
        key_base64=base64.b64encode(key).decode() if key is not None else None,
        value_base64=base64.b64encode(value or b"").decode(),
        rejected_at=now,
    )
