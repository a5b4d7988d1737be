"""The report's contact section: what the contact-policy stage decided, and what the triggers it sent brought.

Counts are of decision records (a trigger deferred twice and then sent has three). The uplift compares, per
trigger type, the customers sent one with those held out (``streams.engine.uplift``), over the attribution
windows closed by the log's last event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.base import Envelope
from schemas.decisions import ContactDecision, Outcome
from schemas.triggers import TriggerType
from streams.domain.policy import Policy
from streams.engine.uplift import TypeUplift, purchases, uplift_by_type

__all__ = ["OUTCOMES", "ContactSection", "contact_section"]

OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
_TYPES: tuple[TriggerType, ...] = get_args(TriggerType)


class ContactSection(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    decisions: int = Field(ge=0, description="Decision records.")
    triggers: int = Field(ge=0, description="Triggers decided about (distinct ids).")
    outcomes: dict[Outcome, int] = Field(description="Records per outcome (every outcome, zeros included).")
    by_type: dict[TriggerType, dict[Outcome, int]] = Field(description="The same per type, for types with a record.")
    windows_closed_by: AwareDatetime | None = Field(
        description="The log's last event: the uplift uses the decisions whose attribution window closed by then."
    )
    uplift: tuple[TypeUplift, ...] = Field(description="Per type with a customer sent or held out.")


def _counts(decisions: Sequence[ContactDecision]) -> dict[Outcome, int]:
    counted = Counter(d.outcome for d in decisions)
    return {outcome: counted[outcome] for outcome in OUTCOMES}


def contact_section(
    decisions: Sequence[ContactDecision], events: Sequence[Envelope], policy: Policy, until: datetime | None
) -> ContactSection:
    """The section for the decisions of a run over ``events``; ``until`` is where the log's knowledge ends."""
    by_type = {t: _counts(mine) for t in _TYPES if (mine := [d for d in decisions if d.type == t])}
    days = {t: policy.contact.of(t).attribution_days for t in _TYPES}
    return ContactSection(
        decisions=len(decisions),
        triggers=len({d.trigger_id for d in decisions}),
        outcomes=_counts(decisions),
        by_type=by_type,
        windows_closed_by=until,
        uplift=uplift_by_type(decisions, purchases(events), days, until),
    )
