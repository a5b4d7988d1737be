"""Shared building blocks of every contract: the model bases, the wire types and the version rules.

Compatibility, as the published JSON Schemas state it and intake enforces it:

- What the engine reads (input events and its internal messages, :class:`Inbound`) is open within a major
  version: a field this engine does not know is accepted and ignored, so a producer may move to a newer
  minor version (which only adds optional fields) before the engine does. ``schema_version`` names the
  major the engine reads (``1.MINOR``); a newer major is dead-lettered as ``unsupported_version``.
- What the engine only writes (triggers, dead letters, profiles, :class:`Contract`) is closed: the schema
  lists exactly what is sent (``additionalProperties: false``). Consumers should still ignore fields they
  do not know, since a newer minor version of the engine may add some.
- Types are JSON's own, as the schema states them: no numbers in strings, no epoch numbers for times.
  Intake validates in pydantic's strict JSON mode; the few wire types below (:data:`Timestamp`,
  :data:`CalendarDate`, :data:`Count`) carry a pattern that the schema publishes and the validator applies,
  so a standard JSON Schema validator and the engine accept exactly the same messages.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Final

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

__all__ = [
    "describe_errors",
    "CalendarDate",
    "Contract",
    "Count",
    "Currency",
    "Days",
    "DATE_PATTERN",
    "DATE_TIME_PATTERN",
    "Envelope",
    "Identifier",
    "Inbound",
    "Money",
    "SCHEMA_MAJOR",
    "SCHEMA_VERSION",
    "Timestamp",
    "Units",
    "VERSION_PATTERN",
    "integral",
    "major_of",
]

SCHEMA_MAJOR: Final = 1
SCHEMA_MINOR: Final = 1
"""1.1: unknown fields accepted within the major; OrderRefunded.currency; OrderPlaced.currency optional."""
SCHEMA_VERSION: Final = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"
VERSION_PATTERN: Final = rf"^{SCHEMA_MAJOR}\.[0-9]{{1,4}}$"

# Patterns are ECMA-262 (as JSON Schema says) and mean the same in Python's re under fullmatch: ASCII
# classes only ([0-9], never \d, which is Unicode-wide in Python), anchored at both ends.
_YEAR = r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
_DATE = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
DATE_PATTERN: Final = rf"^{_DATE}$"
"""A calendar date, YYYY-MM-DD (RFC 3339 full-date), that exists (no February 30)."""
DATE_TIME_PATTERN: Final = rf"^{_DATE}T{_TIME}{_OFFSET}$"
"""RFC 3339 with an upper-case T, seconds, at most 9 fraction digits and an offset: Z or +HH:MM."""

_DATE_RE = re.compile(DATE_PATTERN)
_DATE_TIME_RE = re.compile(DATE_TIME_PATTERN)


def _rfc3339(value: object) -> object:
    """A string is parsed here, as the schema's pattern states it (pydantic alone accepts more, epochs too)."""
    if not isinstance(value, str):
        return value  # a datetime built in Python; a JSON number is left for the type check to reject
    if not _DATE_TIME_RE.fullmatch(value):
        raise ValueError(
            "expected an RFC 3339 date-time with seconds and an offset, e.g. 2024-05-01T09:30:00+08:00 or "
            "2024-05-01T01:30:00Z (write offsets as +HH:MM)"
        )
    return datetime.fromisoformat(value)  # fraction digits past 6 are dropped


def _iso_date(value: object) -> object:
    if not isinstance(value, str):
        return value
    if not _DATE_RE.fullmatch(value):
        raise ValueError("expected a calendar date as YYYY-MM-DD, e.g. 1990-02-28")
    return date.fromisoformat(value)


def integral(value: object) -> object:
    """JSON Schema counts 2.0 as an integer; so does intake (a fraction or a string is still rejected)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@/-]+$")]
Money = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
"""A finite, non-negative amount in the shop's currency (or the event's ``currency``)."""
Count = Annotated[int, BeforeValidator(integral)]
"""A JSON integer (2.0 counts, as in JSON Schema). Bound it with Field(...) on the field; inside a union or a
container, bound the int before the validator instead (like :data:`Days`), else the schema gets raw ge/le."""
Days = Annotated[int, Field(ge=1, le=3650), BeforeValidator(integral)]
"""A whole number of days, 1 to 3650."""
Units = Annotated[int, Field(ge=0, le=1_000_000_000), BeforeValidator(integral)]
"""A stock level: a whole number of units, never negative."""
Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
"""ISO 4217 code, e.g. CNY."""
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN}),
]
"""A timezone-aware instant; on the wire an RFC 3339 string (never an epoch number)."""
CalendarDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]


def major_of(version: str) -> int:
    """Major part of a ``MAJOR.MINOR`` schema version."""
    return int(version.split(".", 1)[0])


class Contract(BaseModel):
    """Base of what the engine writes: immutable, closed (unknown fields rejected)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Inbound(Contract):
    """Base of what the engine reads: immutable, open within the major (unknown fields accepted and ignored).

    Intake validates these in strict JSON mode (``model_validate_json(..., strict=True)``); built in Python
    (tests, the changelog's stored state) they validate as usual.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", json_schema_extra={"additionalProperties": True})


class Envelope(Inbound):
    """Fields every input event carries."""

    event_id: Identifier = Field(description="Unique per event; the producer reuses it when it retries.")
    schema_version: str = Field(
        default=SCHEMA_VERSION,
        pattern=VERSION_PATTERN,
        description=f"{SCHEMA_MAJOR}.MINOR: a newer minor is read (its new fields ignored); a newer major is "
        "dead-lettered.",
    )
    occurred_at: Timestamp = Field(
        description="When it happened on the platform (RFC 3339 with an offset). Intake dead-letters a time more "
        "than the policy's intake.max_future_skew_hours ahead of its clock or before intake.earliest_occurred_at."
    )


def describe_errors(error: ValidationError) -> str:
    """A pydantic error in one line: ``field.path: message; ...`` (for files people wrote: policies, logs)."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"] for e in error.errors(include_url=False)
    )
