"""The contact policy: consent, channels, caps, send windows, time to live, priority and holdouts.

Defaults follow shared/domain.md: at most one message a day and three a week, never between 22:00 and
08:00 in the customer's zone, offers at lunch, in the evening or at the weekend.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Final, Literal, get_args
from zoneinfo import available_timezones

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from schemas.events import Channel
from schemas.triggers import TriggerType

__all__ = ["TRIGGER_TYPES", "CapPolicy", "ContactPolicy", "PurchaseCancels", "SlotPolicy", "TypeContactPolicy"]

TRIGGER_TYPES: Final[tuple[TriggerType, ...]] = get_args(TriggerType)
PurchaseCancels = Literal["nothing", "any_order", "same_category", "same_product"]


def _wall_time(value: Any) -> Any:
    """A local wall time: "HH:MM" (quoted in YAML, which reads a bare 22:00 as the number 1320), no zone."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("a local wall time has no zone")
        return value
    if not isinstance(value, str):
        raise ValueError('a local wall time as a quoted "HH:MM" string (YAML reads an unquoted 22:00 as a number)')
    parsed = time.fromisoformat(value)
    if parsed.tzinfo is not None:
        raise ValueError("a local wall time has no zone")
    return parsed


WallTime = Annotated[time, BeforeValidator(_wall_time)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SlotPolicy(_Section):
    """A preferred local time of the week, e.g. lunch on weekdays (days: 0 = Monday ... 6 = Sunday)."""

    start: WallTime
    end: WallTime
    days: tuple[int, ...] = Field(default=(0, 1, 2, 3, 4, 5, 6))

    @model_validator(mode="after")
    def _valid(self) -> SlotPolicy:
        if self.end <= self.start:
            raise ValueError("a slot ends after it starts, on the same day")
        if not self.days or any(d not in range(7) for d in self.days):
            raise ValueError("slot days are 0 (Monday) to 6 (Sunday)")
        return self


class CapPolicy(_Section):
    """At most ``max`` marketing triggers in ``days`` local days (today and the days before); per channel when
    ``channel`` is set, across all channels otherwise. Held-out triggers count, so both groups see the same caps."""

    max: int = Field(ge=0)
    days: int = Field(ge=1, le=31)
    channel: Channel | None = None

    @property
    def name(self) -> str:
        return f"cap_{self.max}_per_{self.days}d" + (f"_{self.channel.value}" if self.channel else "")


class TypeContactPolicy(_Section):
    """How the stage treats one trigger type."""

    priority: int = Field(ge=0, le=100, description="Higher goes first when candidates compete for a slot.")
    ttl_hours: float = Field(gt=0, le=24 * 60, description="Worth nothing this long after it was due.")
    channels: tuple[Channel, ...] = Field(
        default=(Channel.WECHAT, Channel.PUSH, Channel.SMS), min_length=1, description="Preference, first consented."
    )
    slots: tuple[str, ...] = Field(
        default=(), description="Named slots it may go in; none: any time outside quiet hours."
    )
    transactional: bool = Field(
        default=False,
        description="A service message about something the customer asked for: not counted or capped, and may use "
        "the service channel without an opt-in (an explicit opt-out still stops it).",
    )
    capped: bool = Field(
        default=True,
        description="Counted and limited by the caps (a transactional type never is). price_drop is not by default: "
        "it reaches the customer through the catalog, in an event-time replay after the customer's own later "
        "triggers, so counting it would make a replay decide in another order than the one-process run.",
    )
    cancelled_by_purchase: PurchaseCancels = Field(
        default="nothing", description="An order between due and sending that makes it pointless."
    )
    holdout_percent: float = Field(default=10, ge=0, le=100, description="Control group of this type, by customer.")
    attribution_days: float = Field(default=7, gt=0, le=365, description="An order this soon after counts for it.")

    @property
    def counted(self) -> bool:
        """Counted for the caps and limited by them."""
        return self.capped and not self.transactional


_MARKETING_SLOTS: Final = ("lunch", "evening", "weekend")
_TYPE_DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    "favorite_low_stock": {
        "priority": 90,
        "ttl_hours": 24,
        "transactional": True,
        "channels": ("push", "wechat", "sms", "service"),
        "cancelled_by_purchase": "same_product",
        "attribution_days": 3,
    },
    "back_in_stock": {
        "priority": 80,
        "ttl_hours": 48,
        "transactional": True,
        "channels": ("push", "wechat", "sms", "service"),
        "cancelled_by_purchase": "same_product",
        "attribution_days": 3,
    },
    "price_drop": {
        "priority": 60,
        "ttl_hours": 48,
        "capped": False,
        "cancelled_by_purchase": "same_product",
        "attribution_days": 3,
    },
    "tier_upgrade": {"priority": 85, "ttl_hours": 7 * 24, "attribution_days": 30},
    "replenishment": {
        "priority": 75,
        "ttl_hours": 7 * 24,
        "slots": _MARKETING_SLOTS,
        "cancelled_by_purchase": "same_category",
        "attribution_days": 10,
    },
    "welcome": {"priority": 70, "ttl_hours": 72, "attribution_days": 7},
    "browse_followup": {
        "priority": 65,
        "ttl_hours": 24,
        "cancelled_by_purchase": "same_category",
        "attribution_days": 2,
    },
    "churn_warning": {
        "priority": 60,
        "ttl_hours": 72,
        "slots": _MARKETING_SLOTS,
        "cancelled_by_purchase": "any_order",
        "attribution_days": 7,
    },
    "lifecycle_wakeup": {
        "priority": 55,
        "ttl_hours": 7 * 24,
        "slots": _MARKETING_SLOTS,
        "cancelled_by_purchase": "any_order",
        "attribution_days": 14,
    },
    "birthday": {"priority": 50, "ttl_hours": 7 * 24, "slots": _MARKETING_SLOTS, "attribution_days": 28},
    "cross_sell": {
        "priority": 40,
        "ttl_hours": 72,
        "slots": _MARKETING_SLOTS,
        "cancelled_by_purchase": "same_category",
        "attribution_days": 7,
    },
    "usage_guide": {"priority": 30, "ttl_hours": 7 * 24, "channels": ("wechat", "push"), "attribution_days": 14},
}


def _slots() -> dict[str, SlotPolicy]:
    return {
        "lunch": SlotPolicy(start=time(11, 30), end=time(13, 30)),
        "evening": SlotPolicy(start=time(18, 0), end=time(22, 0)),
        "weekend": SlotPolicy(start=time(10, 0), end=time(22, 0), days=(5, 6)),
    }


class ContactPolicy(_Section):
    """The stage between the rules and the trigger topics. A file changes single fields of a type (``types:
    {welcome: {priority: 95}}``), the rest keep the type's defaults; named ``slots`` it gives are added to the
    default ones or replace the one of that name."""

    default_timezone: str = Field(default="Asia/Shanghai", description="For customers whose profile names none.")
    quiet_start: WallTime = Field(default=time(22, 0), description="Local quiet hours from ...")
    quiet_end: WallTime = Field(default=time(8, 0), description="... until (equal: no quiet hours).")
    slots: dict[str, SlotPolicy] = Field(default_factory=_slots)
    caps: tuple[CapPolicy, ...] = Field(default=(CapPolicy(max=1, days=1), CapPolicy(max=3, days=7)))
    assume_consent: tuple[Channel, ...] = Field(
        default=(), description="Channels a customer is reachable on until they opt out (none: opt-in only)."
    )
    types: dict[TriggerType, TypeContactPolicy] = Field(default_factory=dict)
    global_holdout_percent: float = Field(default=0, ge=0, le=100, description="Customers who are sent nothing.")
    holdout_salt: str = Field(default="comeback", min_length=1, description="Change it to draw new control groups.")
    max_pending: int = Field(default=8, ge=1, le=100, description="Triggers a customer may have waiting.")

    @model_validator(mode="before")
    @classmethod
    def _type_defaults(cls, data: Any) -> Any:
        """Every type gets its defaults, with the fields a file names changed; slots add to the defaults. A value
        that is not a mapping is left for the field's own validation to reject."""
        if not isinstance(data, dict):
            return data
        given = data.get("types", {})
        slots = data.get("slots", {})
        if not isinstance(given, dict) or not isinstance(slots, dict):
            return data
        unknown = set(given) - set(TRIGGER_TYPES)
        if unknown:
            raise ValueError(f"unknown trigger types in contact.types: {sorted(unknown)}")
        types: dict[str, Any] = {}
        for name in TRIGGER_TYPES:
            change = given.get(name, {})
            if isinstance(change, TypeContactPolicy):
                change = change.model_dump(exclude_unset=True)
            types[name] = {**_TYPE_DEFAULTS[name], **change} if isinstance(change, dict) else change
        return {**data, "types": types, "slots": {**_slots(), **slots}}

    @model_validator(mode="after")
    def _consistent(self) -> ContactPolicy:
        if self.default_timezone not in available_timezones():
            raise ValueError(f"unknown IANA time zone {self.default_timezone!r}")
        for name, settings in self.types.items():
            missing = set(settings.slots) - set(self.slots)
            if missing:
                raise ValueError(f"contact.types.{name}.slots names unknown slots {sorted(missing)}")
            if Channel.SERVICE in settings.channels and not settings.transactional:
                raise ValueError(f"contact.types.{name}: only transactional types may use the service channel")
        return self

    def of(self, trigger_type: str) -> TypeContactPolicy:
        return self.types[trigger_type]  # type: ignore[index]
