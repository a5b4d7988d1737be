"""The customer side of the shell: decode, load state, one engine step, emit, store, mark for the profile view.

Each record is handled inside the customer agent's stream iteration, so table writes land on the record's
own partition. Rejected input goes to the dead-letter topic and processing goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, MutableMapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import faust
from faust.types import TP
from pydantic import BaseModel

from schemas.control import TimerTick
from schemas.decisions import ContactDecision
from schemas.profile import CustomerProfile
from schemas.triggers import Trigger
from streams.adapters.redis_view import ProfileProjector
from streams.config import Settings
from streams.domain.customer.profile import derive_profile
from streams.domain.customer.state import CustomerState, StateIndex, initial_state
from streams.domain.decision import ToProduct
from streams.domain.policy import Policy
from streams.engine.customer import CustomerMessage, step
from streams.runtime.clock import Clock
from streams.runtime.decoded import DecodedTable
from streams.runtime.held_back import HeldBack
from streams.runtime.inputs import InputSide
from streams.runtime.progress import CustomerProgress
from streams.runtime.records import Records, identified, readable
from streams.runtime.routing import Router
from streams.runtime.sending import send_acked, send_to_every_partition
from streams.runtime.timer_index import TimerIndex
from streams.runtime.watermarks import SavedWatermarks

if TYPE_CHECKING:
    from streams.runtime.app import Topics

__all__ = ["RESEND_SECONDS", "CustomerShell"]

log = logging.getLogger(__name__)
RESEND_SECONDS = 30.0  # the first time unanswered cycle lookups are asked again; then twice as long each time
RESEND_MAX_SECONDS = 600.0


class CustomerShell:
    """Everything the customer agent, the tickers and the web view do with the ``customer_to_state`` table."""

    def __init__(
        self,
        settings: Settings,
        policy: Policy,
        records: Records,
        *,
        table: MutableMapping[str, Any],
        topics: Topics,
        clock: Clock,
        timers: TimerIndex,
        progress: CustomerProgress,
        projector: ProfileProjector,
        router: Router,
        watermarks: SavedWatermarks,
        held: HeldBack,
    ) -> None:
        self.settings, self.policy, self.records, self.held = settings, policy, records, held
        self.table, self.topics, self.clock = table, topics, clock
        self.timers, self.progress, self.projector, self.router = timers, progress, projector, router
        self.inputs = InputSide(records, router, clock, watermarks)
        self.recovered = False
        self.event_time = settings.clock == "event"
        self.states = DecodedTable(table, CustomerState)
        self._awaiting_since: dict[str, tuple[float, float]] = {}  # awaiting cycle answers: (since, next wait)

    # -- state --------------------------------------------------------------------------------------------

    def _stored(self, customer_id: str) -> CustomerState | None:
        return self.states.get(customer_id)

    def known_state(self, customer_id: str) -> CustomerState | None:
        """The state of a customer this worker holds and has not erased; None otherwise."""
        state = self._stored(customer_id)
        return None if state is None or state.erased_at is not None else state

    def current_profile(self, state: CustomerState) -> CustomerProfile:
        """The profile now, scored with the shop's model if there is one (the web view and Redis)."""
        return derive_profile(state, self.clock.now(), self.policy)

    def held_customers(self) -> list[str]:
        stored = (key for key, value in self.table.items() if value is not None)
        return [key for key in dict.fromkeys([*stored, *self.states.unwritten()]) if self.inputs.owns(key)]

    def held_profile(self, customer_id: str) -> CustomerProfile | None:
        """The profile to project for a marked customer, derived now; None once erased, or when its partition has
        moved to another worker (which writes it after its recovery)."""
        state = self.known_state(customer_id) if self.inputs.owns(customer_id) else None
        return None if state is None else self.current_profile(state)

    # -- one record ---------------------------------------------------------------------------------------

    async def process(self, record: faust.types.EventT) -> None:
        async with self.progress.lock:
            await self.inputs.take(record, self._apply)  # type: ignore[arg-type]

    async def _apply(self, message: CustomerMessage) -> None:
        customer_id = message.customer_id
        # The stored state, an erased customer's too (its event ids keep redeliveries out), or a fresh one.
        state = self._stored(customer_id) or initial_state(customer_id)
        decision = step(state, message, self.clock.now(), self.policy, event_time=self.event_time)
        changed = decision.state != state
        await self._emit(decision.triggers, decision.outcomes, decision.to_products if changed else ())
        if changed:
            self.states.put(customer_id, decision.state)
            if decision.state.revision != state.revision:  # only facts and fired timers change the profile
                self._mark_for_view(decision.state)
        self.timers.set(customer_id, decision.state.wake_at(self.event_time))
        self.records.metrics.timers_pending.set(len(self.timers))
        self.progress.note(decision.state)
        self._track_awaiting(decision.state)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("applied %s", message.type, extra=identified(message, triggers=len(decision.triggers)))

    async def _emit(
        self, triggers: tuple[Trigger, ...], outcomes: tuple[ContactDecision, ...], to_products: tuple[ToProduct, ...]
    ) -> None:
        """Publish the triggers, the contact stage's records of them and the messages for the product side (watch
        changes and cycle lookups, repartitioned by product). They are acknowledged, with every other record's, at
        the next flush, before the state that forgets their timers (and the waiting triggers) is written
        (``streams.runtime.held_back``): a crash repeats them (same ids), never loses them."""
        topics = self.topics.triggers
        sends: list[tuple[faust.TopicT, str, BaseModel]] = [
            (topics[self.settings.trigger_topic_for(t.type)], t.customer_id, t) for t in triggers
        ]
        sends += [(self.topics.decisions, record.customer_id, record) for record in outcomes]
        sends += [(self.topics.watchers, message.product_id, message) for message in to_products]
        await self.held.send(sends)
        for record in outcomes:
            self.records.metrics.contact.labels(record.type, record.outcome).inc()
            log.info(
                "%s %s: %s",
                record.type,
                record.outcome,
                record.reason,
                extra={
                    "trigger_id": record.trigger_id,
                    "decision_id": record.decision_id,
                    "trigger_type": record.type,
                    "outcome": record.outcome,
                    "reason": record.reason,
                    "channel": record.channel.value if record.channel else None,
                },
            )
        now = None if self.event_time else self.clock.now()
        for trigger in triggers:
            self.records.metrics.triggers.labels(trigger.type).inc()
            if now is not None:  # on the wall clock: how late it went out after the contact stage let it go
                allowed = trigger.send_after or trigger.due_at  # a deferred trigger is not late for its wait
                self.records.metrics.timer_lateness.observe(max(0.0, (now - allowed).total_seconds()))

    async def _send_to_products(self, messages: Iterable[ToProduct]) -> None:
        """Cycle lookups asked again, repartitioned by product through the watchers topic."""
        await send_acked((self.topics.watchers, message.product_id, message) for message in messages)

    def _mark_for_view(self, state: CustomerState) -> None:
        """Mark a stored change for the Redis view's next flush (agents/profiles.py); no derivation, no I/O here."""
        if state.erased_at is not None:
            self.projector.mark_erased(state.customer_id)
        else:
            self.projector.mark_changed(state.customer_id)

    def _track_awaiting(self, state: CustomerState | StateIndex) -> None:
        if state.awaiting:
            self._awaiting_since.setdefault(state.customer_id, (time.monotonic(), RESEND_SECONDS))
        else:
            self._awaiting_since.pop(state.customer_id, None)

    # -- tickers and rebalances ---------------------------------------------------------------------------

    def track_assigned(self, assigned: Iterable[TP]) -> list[tuple[str, int]]:
        """Event time: the customers' watermark waits for every customer input partition this worker reads, and
        for what other workers forward to the rerouted partitions it reads."""
        sources = self.inputs.assign(assigned)
        self._forget_read()  # the recovered table may hold another worker's writes
        self.progress.assign(partition for _, partition in sources)
        self._awaiting_since.clear()  # rebuilt for the customers still read here (a stale one warns for ever)
        self.recovered = False  # until rebuild_timer_index has run on the recovered table
        return sources

    def _forget_read(self) -> None:
        """The decoded states read from the table forgotten; those changed here kept, unless on a partition no
        longer read here (``DecodedTable.clear``)."""
        if dropped := self.states.clear(self.inputs.owns):
            log.warning("%d customers changed on partitions no longer read here: left to their new owner", dropped)

    async def wake_due(self) -> int:
        """Send a TimerTick to every customer with a timer due now; the owning agent fires it. A customer whose
        tick the broker did not acknowledge goes back into the index, so it is woken again on the next round."""
        now = self.clock.now()
        woken = self.timers.pop_due(now)
        ticks = [(self.topics.ticks, customer_id, TimerTick(customer_id=customer_id, at=now)) for customer_id in woken]
        try:
            await send_acked(ticks)
        except Exception:  # the broker may be away: nothing is lost, the ticks go again
            log.exception("timer ticks for %d customers were not acknowledged; waking them again", len(woken))
            for customer_id in woken:
                self.timers.set(customer_id, self._stored_wake_at(customer_id))
            return 0
        return len(woken)

    def _stored_wake_at(self, customer_id: str) -> datetime | None:
        state = self._stored(customer_id)
        return None if state is None else state.wake_at(self.event_time)

    async def announce_progress(self) -> None:
        """Event time: tell every rerouted partition how far the strays of this worker's inputs are forwarded,
        and every watchers partition how far this worker's customers have got (each when it moved)."""
        async with self.progress.lock:
            await self.held.settle()  # what the customers sent before the announcement is in first
            await self.router.announce()
            announcement = self.progress.announcement(self.clock.frontier())
            if announcement is not None:
                await send_to_every_partition(self.topics.watchers, announcement, self.settings.partitions)

    async def resend_unanswered_lookups(self) -> int:
        """Cycle lookups unanswered for ``RESEND_SECONDS`` go out again, with a warning: a lost or dead-lettered
        answer would otherwise hold the customer (and, in event time, the catalog) for good. Each repeat waits
        twice as long (up to ``RESEND_MAX_SECONDS``): in a replay's backlog answers are slow, not lost, and
        a repeated answer changes nothing (``handle_cycle``)."""
        now, resent = time.monotonic(), 0
        for customer_id, (since, wait) in list(self._awaiting_since.items()):
            if now - since < wait:
                continue
            state = self.known_state(customer_id)
            if state is None or not state.awaiting:
                self._awaiting_since.pop(customer_id, None)
                continue
            log.warning(
                "a customer has awaited %d cycle answers for %.0f s: asking again",
                len(state.awaiting),
                now - since,
            )
            await self._send_to_products(state.awaiting)
            self._awaiting_since[customer_id] = (now, min(wait * 2, RESEND_MAX_SECONDS))
            resent += 1
        return resent

    async def rebuild_timer_index(self) -> None:
        """After table recovery: index the next due time (and held events) of every customer this worker holds."""
        self.inputs.restore()
        self._forget_read()  # anything read while the table was recovering
        # Only what the indexes need of each stored state (StateIndex), one at a time: a worker may hold millions.
        states = self.states.newest(readable(StateIndex, self.table), key=lambda s: s.customer_id)
        for state in (s for s in states if self.inputs.owns(s.customer_id)):
            self.timers.set(state.customer_id, state.wake_at(self.event_time))
            self._track_awaiting(state)
            self.progress.note(state)
            if state.erased_at is not None:  # its erasure may not have reached Redis before a crash or a rebalance
                self.projector.mark_erased(state.customer_id)
            else:
                self.projector.mark_stale(state.customer_id)  # a previous owner's marks are gone
        self.progress.ready()
        log.info("timer index rebuilt: %d customers with pending timers", len(self.timers))
        self.recovered = True
