"""Control messages: they move time forward without customer events."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from schemas.base import Contract, Identifier

__all__ = ["CONTROL_TYPES", "TimerTick", "WatermarkAdvanced"]


class TimerTick(Contract):
    """Wake one customer: some of its timers are due at ``at``. Keyed by customer_id."""

    type: Literal["timer_tick"] = "timer_tick"
    customer_id: Identifier
    at: AwareDatetime


class WatermarkAdvanced(Contract):
    """Event-time mode: no event older than ``at`` will follow on this partition (sent to every partition
    of every customer-keyed input topic at the end of a replay). Any key; workers in wall-clock mode ignore it."""

    type: Literal["watermark_advanced"] = "watermark_advanced"
    at: AwareDatetime


CONTROL_TYPES: dict[str, type[Contract]] = {"timer_tick": TimerTick, "watermark_advanced": WatermarkAdvanced}
