"""Shared building blocks of every contract: the frozen model base and the version rules."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["Contract", "Envelope", "Identifier", "Money", "SCHEMA_MAJOR", "SCHEMA_VERSION", "major_of"]

SCHEMA_MAJOR = 1
SCHEMA_VERSION = f"{SCHEMA_MAJOR}.0"

Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@/-]+$")]
Money = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


def major_of(version: str) -> int:
    """Major part of a ``MAJOR.MINOR`` schema version."""
    return int(version.split(".", 1)[0])


class Contract(BaseModel):
    """Base of every message model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(Contract):
    """Fields every input event carries."""

    event_id: Identifier = Field(description="Unique per event; the producer reuses it when it retries.")
    schema_version: str = Field(
        default=SCHEMA_VERSION,
        pattern=r"^\d+\.\d+$",
        description="MAJOR.MINOR; a newer major than the engine knows is dead-lettered.",
    )
    occurred_at: AwareDatetime = Field(description="When it happened on the platform (timezone-aware).")
