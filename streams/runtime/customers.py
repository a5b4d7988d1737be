"""The thin shell around the core: decode, load state, call the core, emit, store.

Each function handles one Kafka record inside an agent's stream iteration, so table writes land on the
record's own partition. Rejected input goes to the dead-letter topic and processing goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

import faust
from faust.types import TP
from pydantic import BaseModel

from schemas.base import Envelope
from schemas.control import ProductAlert, ProductCycle, TimerTick, WatermarkAdvanced
from schemas.events import CustomerEvent
from schemas.profile import CustomerProfile
from schemas.topics import INPUT_TOPICS, by_role
from schemas.triggers import Trigger
from streams.adapters.redis_view import ProfileProjector, connect_async
from streams.domain.customer.profile import derive_profile
from streams.domain.customer.state import CustomerState, initial_state
from streams.domain.decision import Decision, ToProduct
from streams.engine.customer import advance, handle_alert, handle_cycle, handle_event, hold, release
from streams.runtime.app import (
    POLICY,
    SETTINGS,
    clock,
    customer_to_state,
    dead_letter_topic,
    product_clock,
    progress,
    spec_for_topic,
    ticks_topic,
    timer_index,
    trigger_topics,
    watchers_topic,
)
from streams.runtime.clock import WallClock
from streams.runtime.intake import Rejection, dead_letter, decode

__all__ = [
    "announce_progress",
    "current_profile",
    "resend_unanswered_lookups",
    "decode_or_reject",
    "guarded",
    "process_customer_record",
    "projector",
    "known_state",
    "rebuild_timer_index",
    "send_acked",
    "track_assigned",
    "wake_due_customers",
]

log = logging.getLogger(__name__)
CustomerMessage = TimerTick | ProductAlert | ProductCycle | CustomerEvent
EVENT_TIME_SOURCES = frozenset(SETTINGS.topic_name(spec) for spec in INPUT_TOPICS if spec.key == "customer_id")
CATALOG_TOPIC = SETTINGS.topic_name(by_role("catalog"))
projector = ProfileProjector(connect_async(SETTINGS.redis_url.get_secret_value()), SETTINGS.redis_prefix)
RESEND_SECONDS = 30.0
_awaiting_since: dict[str, float] = {}  # customers with unanswered cycle lookups: since when (monotonic)


async def _reject(record: faust.types.EventT, rejection: Rejection) -> None:
    message = record.message
    letter = dead_letter(
        rejection,
        message.key,
        message.value,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        now=WallClock().now(),
    )
    log.warning("dead-lettered %s[%s]@%s: %s", message.topic, message.partition, message.offset, rejection.reason)
    await dead_letter_topic.send(key=message.key, value=letter.model_dump_json().encode())


async def decode_or_reject(record: faust.types.EventT) -> BaseModel | None:
    message = record.message
    decoded = decode(message.key, message.value, spec_for_topic(message.topic), SETTINGS.max_message_bytes)
    if isinstance(decoded, Rejection):
        await _reject(record, decoded)
        return None
    return decoded


async def guarded(record: faust.types.EventT, handler: Callable[[faust.types.EventT], Awaitable[None]]) -> None:
    """Run ``handler``; a record it cannot process is dead-lettered with the error, never dropped."""
    try:
        await handler(record)
    except Exception as exc:
        log.exception("processing failed for %s@%s", record.message.topic, record.message.offset)
        await _reject(record, Rejection("processing_error", f"{type(exc).__name__}: {exc}"))


async def send_acked(messages: Iterable[tuple[faust.TopicT, str, BaseModel]]) -> None:
    """Send (topic, key, message) and wait for the broker's acks: what caused them is stored only after."""
    deliveries = [
        await topic.send(key=key.encode(), value=message.model_dump_json().encode()) for topic, key, message in messages
    ]
    await asyncio.gather(*deliveries)


async def _emit(triggers: tuple[Trigger, ...]) -> None:
    """Publish triggers before the state that forgets their timers is stored (a crash repeats, never loses)."""
    await send_acked((trigger_topics[SETTINGS.trigger_topic_for(t.type)], t.customer_id, t) for t in triggers)


def _stored(customer_id: str) -> CustomerState | None:
    stored = customer_to_state.get(customer_id)
    return None if stored is None else CustomerState.model_validate(stored)


def _load_customer(customer_id: str) -> CustomerState:
    """The stored state (an erased customer's too: its event ids keep redeliveries out), or a fresh one."""
    return _stored(customer_id) or initial_state(customer_id)


def known_state(customer_id: str) -> CustomerState | None:
    """The state of a customer this worker holds and has not erased; None otherwise."""
    state = _stored(customer_id)
    return None if state is None or state.erased_at is not None else state


def current_profile(state: CustomerState) -> CustomerProfile:
    return derive_profile(state, clock.now(), POLICY)


async def _project(state: CustomerState) -> None:
    """Mirror a stored change to the Redis view; an erased customer's entries are deleted there."""
    if state.erased_at is not None:
        await projector.erase(state.customer_id)
    else:
        await projector.project(current_profile(state))


def _step(state: CustomerState, message: CustomerMessage, source: tuple[str, int]) -> Decision:
    """Wall clock: act on each record as it comes. Event time: hold records until the watermark passes
    them and apply them in event-time order, so a replay decides exactly as the offline reference run."""
    if isinstance(message, Envelope):
        clock.observe(message.occurred_at, source)
    if isinstance(message, ProductCycle):  # an answer is never held: what is held waits for it
        if SETTINGS.clock == "wall":
            return handle_cycle(state, message, clock.now(), POLICY)
        answered = handle_cycle(state, message, message.at, POLICY)
        return answered.then(release(answered.state, clock.now(), POLICY))
    if SETTINGS.clock == "event":
        held = state if isinstance(message, TimerTick) else hold(state, message)
        return release(held, clock.now(), POLICY)
    if isinstance(message, TimerTick):
        return advance(state, clock.now(), POLICY)
    if isinstance(message, ProductAlert):
        return handle_alert(state, message, clock.now(), POLICY)
    return handle_event(state, message, clock.now(), POLICY)


async def _send_to_products(messages: tuple[ToProduct, ...]) -> None:
    """Watch changes and cycle lookups, repartitioned by product through the watchers topic."""
    await send_acked((watchers_topic, message.product_id, message) for message in messages)


def track_assigned(assigned: Iterable[TP]) -> None:
    """Event-time mode: the watermarks wait for every input partition this worker reads (customers, catalog)."""
    sources = [(tp.topic, tp.partition) for tp in assigned if tp.topic in EVENT_TIME_SOURCES]
    clock.assign(sources)
    catalog = [(tp.topic, tp.partition) for tp in assigned if tp.topic == CATALOG_TOPIC]
    product_clock.assign(catalog)
    progress.assign(partition for _, partition in sources)
    log.info("reading %d customer and %d catalog event-time sources", len(sources), len(catalog))


async def process_customer_record(record: faust.types.EventT) -> None:
    async with progress.lock:
        await _process_customer_record(record)


async def _process_customer_record(record: faust.types.EventT) -> None:
    decoded = await decode_or_reject(record)
    if isinstance(decoded, WatermarkAdvanced):
        clock.observe(decoded.at, (record.message.topic, record.message.partition))
    elif decoded is not None:
        customer_id: str = decoded.customer_id  # type: ignore[attr-defined]
        state = _load_customer(customer_id)
        source = (record.message.topic, record.message.partition)
        decision = _step(state, decoded, source)  # type: ignore[arg-type]
        await _emit(decision.triggers)
        if decision.state != state:
            await _send_to_products(decision.to_products)
            customer_to_state[customer_id] = decision.state.model_dump(mode="json")
            if decision.state.revision != state.revision:  # only facts and fired timers change the profile
                await _project(decision.state)
        timer_index.set(customer_id, decision.state.wake_at(SETTINGS.clock == "event"))
        progress.note(decision.state)
        _track_awaiting(decision.state)


def _track_awaiting(state: CustomerState) -> None:
    if state.awaiting:
        _awaiting_since.setdefault(state.customer_id, time.monotonic())
    else:
        _awaiting_since.pop(state.customer_id, None)


async def resend_unanswered_lookups() -> int:
    """Cycle lookups unanswered for ``RESEND_SECONDS`` go out again, with a warning: a lost or dead-lettered
    answer would otherwise hold the customer (and, in event time, the catalog) for good."""
    now, resent = time.monotonic(), 0
    for customer_id, since in list(_awaiting_since.items()):
        if now - since < RESEND_SECONDS:
            continue
        state = known_state(customer_id)
        if state is None or not state.awaiting:
            _awaiting_since.pop(customer_id, None)
            continue
        log.warning(
            "customer %s has awaited %d cycle answers for %.0f s: asking again",
            customer_id,
            len(state.awaiting),
            now - since,
        )
        await _send_to_products(state.awaiting)
        _awaiting_since[customer_id], resent = now, resent + 1
    return resent


async def announce_progress() -> None:
    """Event time: tell every watchers partition how far this worker's customers have got (when it moved)."""
    async with progress.lock:
        announcement = progress.announcement(clock.frontier())
        if announcement is None:
            return
        value = announcement.model_dump_json().encode()
        deliveries = [
            await watchers_topic.send(key=b"progress", value=value, partition=partition)
            for partition in range(SETTINGS.partitions)
        ]
        await asyncio.gather(*deliveries)


async def wake_due_customers() -> int:
    """Send a TimerTick to every customer with a timer due now; the owning agent fires it."""
    now = clock.now()
    woken = timer_index.pop_due(now)
    for customer_id in woken:
        tick = TimerTick(customer_id=customer_id, at=now)
        await ticks_topic.send(key=customer_id.encode(), value=tick.model_dump_json().encode())
    return len(woken)


async def rebuild_timer_index() -> None:
    """After table recovery: index the next due time (and held events) of every customer this worker holds."""
    states = [CustomerState.model_validate(stored) for stored in customer_to_state.values() if stored is not None]
    for state in states:
        timer_index.set(state.customer_id, state.wake_at(SETTINGS.clock == "event"))
        _track_awaiting(state)
    progress.rebuild(states)
    log.info("timer index rebuilt: %d customers with pending timers", len(timer_index))
