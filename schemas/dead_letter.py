"""A rejected input message, with everything needed to understand and replay it."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import Contract

__all__ = ["DeadLetter", "RejectionCode"]

RejectionCode = Literal[
    "not_json",
    "too_large",
    "unknown_type",
    "unsupported_version",
    "invalid",
    "wrong_topic",
    "key_mismatch",
    "implausible_time",
    "wrong_currency",
    "processing_error",
]


class DeadLetter(Contract):
    code: RejectionCode = Field(
        description="not_json, too_large, unknown_type, unsupported_version (a newer major), invalid (against the "
        "message's JSON Schema), wrong_topic, key_mismatch, implausible_time (occurred_at too far ahead of the "
        "engine's clock or before the policy's floor), wrong_currency (not the shop's and no rate in the policy), "
        "processing_error."
    )
    reason: str = Field(description="What is wrong, in words; for validation errors, every field at fault.")
    source_topic: str
    source_partition: int = Field(ge=0)
    source_offset: int = Field(ge=0)
    key_base64: str | None = Field(description="The original key bytes, base64.")
    value_base64: str = Field(description="The original value bytes, base64, exactly as received.")
    rejected_at: AwareDatetime
