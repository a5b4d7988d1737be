"""Kafka headers on every message the engine publishes, so consumers can route without parsing the value."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.dead_letter import DeadLetter
from schemas.decisions import ContactDecision
from schemas.triggers import Trigger

__all__ = ["HEADERS", "headers_for"]

CONTENT_TYPE = "content-type"
SCHEMA_VERSION = "comeback-schema-version"
MESSAGE_TYPE = "comeback-message-type"
TRIGGER_TYPE = "comeback-trigger-type"
REJECTION_CODE = "comeback-rejection-code"
OUTCOME = "comeback-outcome"

HEADERS: dict[str, str] = {
    CONTENT_TYPE: "Always application/json: the value is UTF-8 JSON.",
    SCHEMA_VERSION: "The value's schema_version (MAJOR.MINOR), where the message has one.",
    MESSAGE_TYPE: 'What the value is: "trigger", "contact_decision", "dead_letter", or an internal message type.',
    TRIGGER_TYPE: "On triggers and contact decisions: the trigger type (welcome, browse_followup, ...).",
    OUTCOME: "On contact decisions: the outcome (sent, held_out, deferred, capped, outranked, expired, suppressed).",
    REJECTION_CODE: "On dead letters: the rejection code (not_json, invalid, wrong_topic, ...).",
}


def headers_for(message: BaseModel) -> list[tuple[str, bytes]]:
    """The headers published with ``message``."""
    headers = [(CONTENT_TYPE, b"application/json")]
    version: Any = getattr(message, "schema_version", None)
    if isinstance(version, str):
        headers.append((SCHEMA_VERSION, version.encode()))
    if isinstance(message, Trigger):
        headers += [(MESSAGE_TYPE, b"trigger"), (TRIGGER_TYPE, message.type.encode())]
    elif isinstance(message, ContactDecision):
        headers += [
            (MESSAGE_TYPE, b"contact_decision"),
            (TRIGGER_TYPE, message.type.encode()),
            (OUTCOME, message.outcome.encode()),
        ]
    elif isinstance(message, DeadLetter):
        headers += [(MESSAGE_TYPE, b"dead_letter"), (REJECTION_CODE, message.code.encode())]
    elif isinstance(kind := getattr(message, "type", None), str):
        headers.append((MESSAGE_TYPE, kind.encode()))
    return headers
