"""Output contract: what the contact-policy stage decided about one trigger, and why.

Every trigger a rule proposes gets at least one record: ``sent`` (it went out on its trigger topic),
``held_out`` (the customer is in the control group: it went through the whole stage and was not sent),
``deferred`` (outside the customer's send window: tried again at ``send_after``), ``capped`` (the
frequency caps are full: tried again at ``send_after``), ``outranked`` (a trigger of higher priority took
the slot), ``expired`` (its time to live ran out before it could go) or ``suppressed`` (no consented
channel, no longer wanted, or too many waiting). Consumers may rely on the set of outcomes: a new one is
a new major version.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import AwareDatetime, Field

from schemas.base import SCHEMA_VERSION, Contract, Identifier
from schemas.events import Channel
from schemas.triggers import TriggerType, trigger_id_for

__all__ = ["FINAL_OUTCOMES", "ContactDecision", "Outcome", "decision_id_for"]

Outcome = Literal["sent", "held_out", "deferred", "capped", "outranked", "expired", "suppressed"]
FINAL_OUTCOMES: Final[frozenset[str]] = frozenset({"sent", "held_out", "expired", "suppressed"})
"""Outcomes after which the trigger is gone; the others say when it is tried again."""


def decision_id_for(trigger_id: str, outcome: str, at: str) -> str:
    """Deterministic: the same decision about the same trigger at the same moment has the same id."""
    return trigger_id_for("decision", trigger_id, f"{outcome}|{at}")


class ContactDecision(Contract):
    decision_id: str = Field(description="Deterministic: use it to drop repeats.")
    schema_version: str = SCHEMA_VERSION
    trigger_id: str = Field(description="The trigger decided about (the same id on the triggers topic if sent).")
    type: TriggerType
    customer_id: Identifier
    outcome: Outcome
    reason: str = Field(description="Machine-readable cause, e.g. quiet_hours, cap_1d, no_consent, purchased_since.")
    detail: str = Field(description="The same in words, with the figures.")
    decided_at: AwareDatetime = Field(description="The moment decided for (event time in replays).")
    due_at: AwareDatetime = Field(description="When the rule wanted the trigger sent.")
    send_after: AwareDatetime | None = Field(
        default=None, description="sent: from when it may be delivered; deferred, capped, outranked: the next try."
    )
    expires_at: AwareDatetime = Field(description="After this the trigger is worth nothing and is not sent.")
    timezone: str = Field(description="The customer's IANA zone the send windows and caps were read in.")
    channel: Channel | None = Field(default=None, description="sent and held out: the channel chosen.")
    priority: int = Field(ge=0, le=100)
    policy_version: str
