"""What the contact stage remembers per customer: triggers waiting for a slot, and recent contacts for the caps."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from schemas.base import Contract
from schemas.events import Channel
from schemas.triggers import Trigger

__all__ = ["ContactLog", "Contacted", "Waiting"]


class Waiting(Contract):
    """A trigger the stage will look at again at ``send_after`` (and drop after ``expires_at``)."""

    trigger: Trigger
    send_after: AwareDatetime
    expires_at: AwareDatetime
    deferrals: int = Field(default=0, ge=0)


class Contacted(Contract):
    """A marketing trigger sent (or held out, which counts the same for the caps)."""

    at: AwareDatetime
    type: str
    channel: Channel
    held_out: bool = False


class ContactLog(Contract):
    waiting: tuple[Waiting, ...] = Field(default=(), description="Deferred triggers (bounded by contact.max_pending).")
    contacted: tuple[Contacted, ...] = Field(default=(), description="Marketing contacts within the longest cap.")
