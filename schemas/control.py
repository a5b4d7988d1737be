"""Internal messages on the ticks topic: they move timers forward without customer events."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, Field, TypeAdapter

from schemas.base import Contract, Identifier

__all__ = ["ControlMessage", "CONTROL_ADAPTER", "TimerTick", "WatermarkAdvanced"]


class TimerTick(Contract):
    """Wake one customer: some of its timers are due at ``at``. Keyed by customer_id."""

    type: Literal["timer_tick"] = "timer_tick"
    customer_id: Identifier
    at: AwareDatetime


class WatermarkAdvanced(Contract):
    """Event-time mode only: no event older than ``at`` will come (end of a replay, idle input)."""

    type: Literal["watermark_advanced"] = "watermark_advanced"
    at: AwareDatetime


ControlMessage = Annotated[Union[TimerTick, WatermarkAdvanced], Field(discriminator="type")]
CONTROL_ADAPTER: TypeAdapter[ControlMessage] = TypeAdapter(ControlMessage)
