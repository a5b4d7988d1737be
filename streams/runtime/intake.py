"""Decode one raw Kafka record into a contract, or say precisely why it cannot be accepted."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from schemas.base import SCHEMA_MAJOR, major_of
from schemas.control import CONTROL_TYPES
from schemas.dead_letter import DeadLetter, RejectionCode
from schemas.events import EVENT_TYPES
from schemas.topics import TopicSpec

__all__ = ["Rejection", "dead_letter", "decode"]


_MESSAGE_TYPES = {**EVENT_TYPES, **CONTROL_TYPES}


@dataclass(frozen=True)
class Rejection:
    code: RejectionCode
    reason: str


def _parse_json(value: bytes | None, max_bytes: int) -> dict[str, Any] | Rejection:
    if value is None or not value:
        return Rejection("not_json", "the message has no value")
    if len(value) > max_bytes:
        return Rejection("too_large", f"the message is {len(value)} bytes; the limit is {max_bytes}")
    try:
        body = json.loads(value.decode("utf-8"))  # bytes would also be sniffed as UTF-16 or UTF-32
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Rejection("not_json", f"not UTF-8 JSON: {exc}")
    if not isinstance(body, dict):
        return Rejection("invalid", f"expected a JSON object, got {type(body).__name__}")
    return body


def _validation_reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '(message)'}: {e['msg']}" for e in exc.errors())


def _check_version(body: dict[str, Any]) -> Rejection | None:
    version = body.get("schema_version")
    if isinstance(version, str) and version.split(".", 1)[0].isdigit() and major_of(version) > SCHEMA_MAJOR:
        return Rejection("unsupported_version", f"schema_version {version} is newer than {SCHEMA_MAJOR}.x")
    return None


def _check_key(model: BaseModel, key: bytes | None, spec: TopicSpec) -> Rejection | None:
    expected = getattr(model, spec.key, None)
    if expected is not None and key != expected.encode():
        shown = "none" if key is None else repr(key.decode(errors="replace"))
        return Rejection("key_mismatch", f"the key must be the {spec.key} {expected!r}; got {shown}")
    return None


def decode(key: bytes | None, value: bytes | None, spec: TopicSpec, max_bytes: int) -> BaseModel | Rejection:
    """The event (or control message) in ``value``, validated for the topic ``spec``; else a Rejection."""
    body = _parse_json(value, max_bytes)
    if isinstance(body, Rejection):
        return body
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in _MESSAGE_TYPES:
        known = ", ".join(sorted(_MESSAGE_TYPES))
        return Rejection("unknown_type", f"unknown message type {kind!r}; known: {known}")
    if not spec.accepts(kind):
        return Rejection("wrong_topic", f"{kind} does not belong on {spec.name}")
    if rejected := _check_version(body):
        return rejected
    try:
        model = _MESSAGE_TYPES[kind].model_validate(body)
    except ValidationError as exc:
        return Rejection("invalid", _validation_reason(exc))
    return _check_key(model, key, spec) or model


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
