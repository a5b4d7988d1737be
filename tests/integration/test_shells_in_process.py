"""The runtime's shells called in-process, without a worker: records in, sends and table writes out.

The shells take their tables and topics as arguments, so a plain dict stands in for a Faust table and a
recording object for a Faust topic (what it was asked to send); the Redis view is a real redis-server.
The decisions they make are the engine's (``step``), checked against the reference run elsewhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from faust.exceptions import PartitionsMismatch
from faust.types import TP, Message

from schemas.base import Envelope
from schemas.control import CycleLookup, ProductAlert, ProductCycle, TimerTick, WatchChanged, WatermarkAdvanced
from schemas.dead_letter import DeadLetter
from schemas.decisions import ContactDecision
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.adapters.redis_view import (
    ProfileProjector,
    connect,
    connect_async,
    profile_key,
    read_profile,
    write_profile,
)
from streams.adapters.table_codec import FORMAT_2, decode, encode
from streams.config import Settings
from streams.domain.customer.state import CustomerState, HeldEvent, initial_state
from streams.domain.policy import Policy
from streams.runtime.app import Topics
from streams.runtime.clock import make_clock
from streams.runtime.customers import CustomerShell
from streams.runtime.held_back import HeldBack
from streams.runtime.metrics import Metrics
from streams.runtime.products import ProductShell
from streams.runtime.progress import CatalogGates, CustomerProgress
from streams.runtime.records import Records
from streams.runtime.routing import Router, owner_partition
from streams.runtime.timer_index import TimerIndex
from streams.runtime.watermarks import SavedWatermarks
from streams.tools.embedded import EmbeddedRedis
from tests.factories import T0, favorite, hours, order, profile, profile_changed, stock_changed, view
from tests.integration.helpers import open_contact_policy, reference_end


@dataclass
class SentTo:
    """Stands in for a Faust topic: keeps what it was asked to send (the delivery is already acknowledged)."""

    name: str
    sent: list[tuple[bytes | None, bytes]] = field(default_factory=list)

    partitions: list[int | None] = field(default_factory=list)
    headers: list[Any] = field(default_factory=list)

    async def send(
        self, *, key: bytes | None, value: bytes, partition: int | None = None, headers: Any = None
    ) -> asyncio.Future[None]:
        self.sent.append((key, value))
        self.partitions.append(partition)
        self.headers.append(headers)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def values(self) -> list[dict[str, Any]]:
        return [json.loads(value) for _, value in self.sent]


def _topics(settings: Settings) -> Topics:
    def topic(role: str) -> Any:
        return SentTo(settings.topic_name(by_role(role)))

    triggers = settings.topic_name(by_role("triggers"))
    return Topics(
        customer_inputs=topic("orders"),
        catalog_inputs=topic("catalog"),
        customers=topic("customers"),
        watchers=topic("watchers"),
        ticks=topic("ticks"),
        rerouted_customers=topic("rerouted_customers"),
        rerouted_catalog=topic("rerouted_catalog"),
        dead_letters=topic("dead_letters"),
        decisions=topic("decisions"),
        triggers={triggers: SentTo(triggers)},  # type: ignore[dict-item]
    )


OPEN = Policy.model_validate(open_contact_policy())
"""These shells' policy unless a test names one: every trigger goes at once, at any hour of the wall clock."""


class Shells:
    """A customer and a product shell over dicts and recording topics, as ``build_runtime`` wires them."""

    async def _refresh(self) -> None:
        self.metadata_refreshes += 1

    def __init__(
        self,
        settings: Settings,
        redis_url: str,
        watermark_table: dict[str, Any] | None = None,
        policy: Policy = OPEN,
        customer_table: dict[str, Any] | None = None,
    ) -> None:
        self.settings, self.topics = settings, _topics(settings)
        self.watermark_table = {} if watermark_table is None else watermark_table
        self.metadata_refreshes = 0
        self.records = Records(settings, policy, self.topics.dead_letters, Metrics.create(), self._refresh)
        self.customer_table = {} if customer_table is None else customer_table
        self.watermarks = SavedWatermarks(self.watermark_table)
        self.held = HeldBack()
        self.customers = CustomerShell(
            settings,
            policy,
            self.records,
            table=self.customer_table,
            topics=self.topics,
            clock=make_clock(settings.clock),
            timers=TimerIndex(strictly_before=settings.clock == "event"),
            progress=CustomerProgress(),
            projector=ProfileProjector(connect_async(redis_url), f"{settings.app_id}:"),
            router=Router(
                [settings.topic_name(by_role(role)) for role in ("orders", "behavior", "customers")],
                self.topics.rerouted_customers,
                settings.topic_name(by_role("rerouted_customers")),
                settings.partitions,
            ),
            watermarks=self.watermarks,
            held=self.held,
        )
        self.products = ProductShell(
            settings,
            policy,
            self.records,
            products={},
            watchers={},
            topics=self.topics,
            clock=make_clock(settings.clock),
            lookups=TimerIndex(),
            gates=CatalogGates(settings.partitions),
            router=Router(
                [settings.topic_name(by_role("catalog"))],
                self.topics.rerouted_catalog,
                settings.topic_name(by_role("rerouted_catalog")),
                settings.partitions,
            ),
            watermarks=self.watermarks,
            held=self.held,
        )
        self.held.write_behind(
            self.customers.states,
            self.products.decoded_products,
            self.products.decoded_watchers,
            after_stored=[self.watermarks],
        )

    def flush(self) -> None:
        """What the producer flush before each commit does first: the sends acknowledged, then the changes they
        caused written, the watermarks last (as ``build_runtime`` wires it)."""
        run(self.held.flush())

    def stored(self, customer_id: str) -> CustomerState:
        """The customer's state in the table after a producer flush."""
        self.flush()
        return decode(CustomerState, self.customer_table[customer_id])

    def record(
        self,
        role: str,
        key: str,
        message: Envelope | WatermarkAdvanced | bytes,
        offset: int = 0,
        partition: int | None = None,
        headers: Any = None,
    ) -> Any:
        """A record on the topic of ``role``, by default on its key's own partition."""
        value = message if isinstance(message, bytes) else message.model_dump_json().encode()
        topic = self.settings.topic_name(by_role(role))
        if partition is None:
            partition = owner_partition(key.encode(), self.settings.partitions)
        raw = Message(topic, partition, offset, 0.0, 0, headers, key.encode(), value, None)
        return SimpleNamespace(message=raw)

    def sent(self, role: str) -> list[dict[str, Any]]:
        topic = self.topics.triggers[self.settings.topic_name(by_role("triggers"))] if role == "triggers" else None
        return (topic or getattr(self.topics, role)).values()


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def shells(embedded_redis: EmbeddedRedis) -> Shells:
    settings = Settings(app_id="in-process", clock="wall", partitions=1, topic_prefix="ip.")
    return Shells(settings, embedded_redis.url)


def test_a_first_order_sends_the_welcome_trigger_and_stores_the_state(shells: Shells) -> None:
    first = order("c1", at=datetime.now(UTC))  # on the wall clock: nothing else is due yet
    run(shells.customers.process(shells.record("orders", "c1", first)))
    (trigger,) = [Trigger.model_validate(t) for t in shells.sent("triggers")]
    assert (trigger.type, trigger.customer_id) == ("welcome", "c1")
    (record,) = [ContactDecision.model_validate(d) for d in shells.sent("decisions")]
    assert (record.outcome, record.trigger_id, record.decision_id) == ("sent", trigger.trigger_id, trigger.decision_id)
    assert shells.topics.decisions.sent[0][0] == b"c1"  # type: ignore[attr-defined]  # keyed by customer
    (decision_headers,) = shells.topics.decisions.headers  # type: ignore[attr-defined]
    assert {k: v for k, v in decision_headers if k != "comeback-schema-version"} == {
        "content-type": b"application/json",
        "comeback-message-type": b"contact_decision",
        "comeback-trigger-type": b"welcome",
        "comeback-outcome": b"sent",
    }
    (headers,) = shells.topics.triggers[shells.settings.topic_name(by_role("triggers"))].headers  # type: ignore[attr-defined]
    assert dict(headers) == {
        "content-type": b"application/json",
        "comeback-schema-version": trigger.schema_version.encode(),
        "comeback-message-type": b"trigger",
        "comeback-trigger-type": b"welcome",
    }
    state = shells.stored("c1")
    assert [o.order_id for o in state.orders] == [first.order_id]
    assert [m["type"] for m in shells.sent("watchers")] == ["cycle_lookup"]  # the catalog's cycle is asked
    assert shells.customers.timers.earliest() is not None  # the post-purchase timers are indexed


def test_records_only_mark_the_customer_and_a_flush_writes_its_profile_as_stored_then(
    shells: Shells, embedded_redis: EmbeddedRedis
) -> None:
    """The Redis view is off the record path: three orders, no profile in Redis until the projector's flush,
    which writes the stored state's last revision."""
    shells.customers.track_assigned([TP(shells.settings.topic_name(by_role("orders")), 0)])
    prefix, now = f"{shells.settings.app_id}:", datetime.now(UTC)

    async def scenario() -> None:
        for n in range(3):
            record = shells.record("orders", "c1", order("c1", order_id=f"o{n}", at=now), offset=n)
            await shells.customers.process(record)
        assert read_profile(client, prefix, "c1") is None and shells.customers.projector.pending == {"c1"}
        await shells.customers.projector.flush(shells.customers.held_profile)

    with connect(embedded_redis.url) as client:
        client.delete(profile_key(prefix, "c1"))
        run(scenario())
        written = read_profile(client, prefix, "c1")
    stored = shells.stored("c1")
    assert written is not None and (written.revision, written.order_count) == (stored.revision, 3)


def test_a_recovered_worker_deletes_the_view_of_a_customer_erased_before_the_last_flush(
    shells: Shells, embedded_redis: EmbeddedRedis
) -> None:
    """An erasure is marked in memory until the next flush: a crash or a rebalance before it must not leave the
    profile in Redis for good. The worker that recovers the erased state deletes it."""
    prefix = f"{shells.settings.app_id}:"
    erased = initial_state("c-gone").model_copy(update={"erased_at": datetime.now(UTC), "revision": 7})
    shells.customer_table["c-gone"] = encode(erased)
    with connect(embedded_redis.url) as client:
        write_profile(client, prefix, profile("c-gone", revision=6))
        shells.customers.track_assigned([TP(shells.settings.topic_name(by_role("orders")), 0)])
        run(shells.customers.rebuild_timer_index())
        assert shells.customers.projector.pending == {"c-gone"}
        run(shells.customers.projector.flush(shells.customers.held_profile, shells.customers.held_customers))
        assert read_profile(client, prefix, "c-gone") is None


def test_a_record_that_breaks_the_contract_is_dead_lettered_and_nothing_is_stored(shells: Shells) -> None:
    run(shells.customers.process(shells.record("orders", "c1", b'{"type": "order_placed"}')))
    (letter,) = [DeadLetter.model_validate(d) for d in shells.sent("dead_letters")]
    assert letter.code == "invalid" and shells.customer_table == {} and shells.sent("triggers") == []
    (headers,) = shells.topics.dead_letters.headers  # type: ignore[attr-defined]
    assert (dict(headers)["comeback-message-type"], dict(headers)["comeback-rejection-code"]) == (
        b"dead_letter",
        b"invalid",
    )


def test_in_event_time_an_event_waits_for_the_slowest_partition(embedded_redis: EmbeddedRedis) -> None:
    settings = Settings(app_id="in-process-event", clock="event", partitions=1, topic_prefix="ie.")
    shells = Shells(settings, embedded_redis.url)
    shells.customers.clock.assign([(settings.topic_name(by_role(role)), 0) for role in ("orders", "behavior")])

    async def scenario() -> None:
        await shells.customers.process(shells.record("orders", "c1", order("c1", at=T0)))
        assert shells.sent("triggers") == []  # held: the behavior partition may still bring something older
        await shells.held.flush()
        held = decode(CustomerState, shells.customer_table["c1"])
        assert [h.at for h in held.held] == [T0] and held.orders == ()
        later = WatermarkAdvanced(at=T0 + timedelta(seconds=1))
        await shells.customers.process(shells.record("behavior", "c1", later))
        assert shells.sent("triggers") == []  # the orders partition is still at T0: a record of T0 may come
        await shells.customers.process(shells.record("orders", "c1", later, offset=1))
        next_view = view(customer_id="c1", at=T0 + hours(1))
        await shells.customers.process(shells.record("behavior", "c1", next_view, offset=1))

    run(scenario())
    assert [t["type"] for t in shells.sent("triggers")] == ["welcome"]
    state = shells.stored("c1")
    assert len(state.orders) == 1 and [h.at for h in state.held] == [T0 + hours(1)]


def test_a_watched_product_running_low_sends_an_alert_to_the_watcher(shells: Shells) -> None:
    now = datetime.now(UTC)

    async def scenario() -> None:
        liked = favorite(customer_id="c1", product_id="p1", at=now)
        await shells.customers.process(shells.record("behavior", "c1", liked))
        (change,) = [WatchChanged.model_validate(m) for m in shells.sent("watchers")]
        await shells.products.process(shells.record("watchers", "p1", change))
        low = stock_changed("p1", available=2, at=now)
        await shells.products.process(shells.record("catalog", "p1", low, offset=1))

    run(scenario())
    (alert,) = [ProductAlert.model_validate(m) for m in shells.sent("ticks")]
    assert (alert.customer_id, alert.product_id, alert.kind) == ("c1", "p1", "low_stock")


def test_a_record_on_another_owners_partition_is_forwarded_to_the_owner_and_applied_there(
    embedded_redis: EmbeddedRedis,
) -> None:
    settings = Settings(app_id="in-process-routing", clock="wall", partitions=2, topic_prefix="ir.")
    shells = Shells(settings, embedded_redis.url)
    owner = owner_partition(b"c1", 2)
    first = order("c1", at=datetime.now(UTC))
    stray = shells.record("orders", "c1", first, offset=7, partition=1 - owner)
    run(shells.customers.process(stray))
    assert shells.customer_table == {} and shells.sent("triggers") == []  # not applied in the wrong partition
    rerouted = shells.topics.rerouted_customers
    assert rerouted.partitions == [owner] and rerouted.sent == [(b"c1", stray.message.value)]  # type: ignore[attr-defined]

    (headers,) = rerouted.headers  # type: ignore[attr-defined]
    forwarded = shells.record("rerouted_customers", "c1", first, partition=owner, headers=headers)
    run(shells.customers.process(forwarded))
    assert [t["type"] for t in shells.sent("triggers")] == ["welcome"]
    assert shells.stored("c1").orders[0].order_id == first.order_id


def test_a_forwarded_record_that_breaks_the_contract_is_dead_lettered_under_its_origin(shells: Shells) -> None:
    origin = shells.settings.topic_name(by_role("orders"))
    headers = [("comeback-origin-topic", origin.encode()), ("comeback-origin-partition", b"0")]
    headers.append(("comeback-origin-offset", b"41"))
    forwarded = shells.record("rerouted_customers", "c1", b'{"type": "order_placed"}', headers=headers)
    run(shells.customers.process(forwarded))
    (letter,) = [DeadLetter.model_validate(d) for d in shells.sent("dead_letters")]
    assert (letter.code, letter.source_topic, letter.source_offset) == ("invalid", origin, 41)


def test_a_restarted_worker_takes_up_event_time_where_the_watermarks_left_it(embedded_redis: EmbeddedRedis) -> None:
    """The last watermark of each input partition is in a changelog-backed table: a worker restarted after a
    replay's final watermark does not go back to 1970 (and hold every record and timer) until new input."""
    settings = Settings(app_id="in-process-restart", clock="event", partitions=1, topic_prefix="ir2.")
    first = Shells(settings, embedded_redis.url)
    roles = ("orders", "behavior", "customers")
    assigned = [TP(settings.topic_name(by_role(role)), 0) for role in roles]
    first.customers.track_assigned(assigned)
    final = WatermarkAdvanced(at=T0 + hours(5))

    async def replay_end() -> None:
        for role in roles:
            await first.customers.process(first.record(role, "watermark", final))

    run(replay_end())
    assert first.customers.clock.now() == T0 + hours(5)
    assert first.watermark_table == {}  # written behind, with the states, at the next flush
    first.flush()

    restarted = Shells(settings, embedded_redis.url, watermark_table=first.watermark_table)
    restarted.customers.track_assigned(assigned)
    assert restarted.customers.clock.now() < T0  # before recovery: nothing known
    run(restarted.customers.rebuild_timer_index())
    assert restarted.customers.clock.now() == T0 + hours(5)


def test_after_a_rebalance_a_state_left_from_a_partition_given_away_holds_nothing_back(
    embedded_redis: EmbeddedRedis,
) -> None:
    """Faust's memory store keeps, after a rebalance, the keys this worker wrote for a partition it gave away
    (it drops only those it recovered from the changelog). Such a state's held event must not hold back the
    progress this worker announces (the catalog would wait for it for good), and its profile is not this
    worker's to project."""
    settings = Settings(app_id="in-process-rebalance", clock="event", partitions=2, topic_prefix="irb.")
    shells = Shells(settings, embedded_redis.url)
    kept, given = (next(f"c{n}" for n in range(99) if owner_partition(f"c{n}".encode(), 2) == p) for p in (0, 1))
    held = HeldEvent(at=T0, event_id="e-given", payload_json=order(given, at=T0).model_dump_json())
    shells.customer_table[given] = encode(initial_state(given).model_copy(update={"held": (held,)}))
    shells.customer_table[kept] = encode(initial_state(kept))
    roles = ("orders", "behavior", "customers")
    shells.customers.track_assigned([TP(settings.topic_name(by_role(role)), 0) for role in roles])
    run(shells.customers.rebuild_timer_index())

    async def watermarks() -> None:
        for role in roles:
            await shells.customers.process(shells.record(role, "watermark", WatermarkAdvanced(at=T0 + hours(5)), 0, 0))

    run(watermarks())
    announced = shells.customers.progress.announcement(shells.customers.clock.frontier())
    assert announced is not None and announced.partitions == (0,) and announced.before == T0 + hours(5)
    assert shells.customers.held_customers() == [kept]
    assert shells.customers.held_profile(given) is None and shells.customers.held_profile(kept) is not None


def test_a_stored_state_that_no_longer_validates_is_skipped_and_the_recovery_completes(shells: Shells) -> None:
    run(shells.customers.process(shells.record("orders", "c1", order("c1", at=datetime.now(UTC)))))
    shells.customer_table["c-broken"] = b'{"customer_id": "c-broken", "revision": "not a number"}'  # format 1
    shells.customer_table["c-garbled"] = FORMAT_2 + b"not zlib"
    shells.customers.track_assigned([TP(shells.settings.topic_name(by_role("orders")), 0)])
    assert shells.customers.recovered is False
    run(shells.customers.rebuild_timer_index())
    assert shells.customers.recovered is True and shells.customers.timers.earliest() is not None


@dataclass
class StoredWhenSent(SentTo):
    """A topic that also notes, at each send, the customer's stored state (None: not stored yet)."""

    table: dict[str, Any] = field(default_factory=dict)
    customer_id: str = ""
    stored: list[Any] = field(default_factory=list)

    async def send(
        self, *, key: bytes | None, value: bytes, partition: int | None = None, headers: Any = None
    ) -> asyncio.Future[None]:
        self.stored.append(self.table.get(self.customer_id))
        return await super().send(key=key, value=value, partition=partition, headers=headers)


def test_a_welcome_ordered_at_night_is_deferred_to_the_morning_and_each_decision_published_before_the_state(
    embedded_redis: EmbeddedRedis,
) -> None:
    """The default contact policy in event time: an order at 23:00 in Shanghai gets its welcome deferred (quiet
    hours) to 08:00; the record of each decision is published before the state that holds the waiting trigger
    (or forgets it) is stored, and the records are the reference run's."""
    settings = Settings(app_id="in-process-contact", clock="event", partitions=1, topic_prefix="ic.")
    shells = Shells(settings, embedded_redis.url, policy=Policy())
    roles = ("orders", "customers")
    shells.customers.track_assigned([TP(settings.topic_name(by_role(role)), 0) for role in roles])
    decisions = StoredWhenSent(settings.topic_name(by_role("decisions")), table=shells.customer_table, customer_id="c1")
    shells.topics = dataclasses.replace(shells.topics, decisions=decisions)  # type: ignore[arg-type]
    shells.customers.topics = shells.topics
    night = datetime(2026, 3, 2, 15, tzinfo=UTC)  # 23:00 in Shanghai, a Monday
    morning = datetime(2026, 3, 3, 0, tzinfo=UTC)  # 08:00 there
    consent = profile_changed("c1", at=night - hours(1), timezone="Asia/Shanghai", consents={"push": True})
    first = order("c1", at=night)

    async def watermark(at: datetime, offset: int) -> None:
        """Every input partition at ``at``; the ticker then wakes the customer (held events, due timers). A commit
        comes first: its producer flush writes the states held back."""
        await shells.held.flush()
        for role in roles:
            await shells.customers.process(shells.record(role, "c1", WatermarkAdvanced(at=at), offset))
        ticks = len(shells.sent("ticks"))
        assert await shells.customers.wake_due() == 1
        for tick in shells.sent("ticks")[ticks:]:
            await shells.customers.process(shells.record("ticks", "c1", TimerTick.model_validate(tick), offset))

    async def scenario() -> None:
        await shells.customers.process(shells.record("customers", "c1", consent))
        await shells.customers.process(shells.record("orders", "c1", first))
        await watermark(night + hours(1), 1)
        assert shells.sent("triggers") == [] and [d["outcome"] for d in shells.sent("decisions")] == ["deferred"]
        for n, lookup in enumerate(CycleLookup.model_validate(m) for m in shells.sent("watchers")):
            answer = ProductCycle(**lookup.model_dump(exclude={"type", "schema_version"}), days=None)
            await shells.customers.process(shells.record("ticks", "c1", answer, 10 + n))  # as the product side would
        await watermark(morning + hours(1), 2)

    run(scenario())
    deferred, sent = [ContactDecision.model_validate(d) for d in shells.sent("decisions")]
    assert (deferred.outcome, deferred.reason, deferred.decided_at, deferred.send_after) == (
        "deferred",
        "quiet_hours",
        night,
        morning,
    )
    (welcome,) = [Trigger.model_validate(t) for t in shells.sent("triggers")]
    assert (sent.outcome, sent.channel, sent.decided_at) == ("sent", "push", morning)
    assert (welcome.type, welcome.send_after, welcome.decision_id) == ("welcome", morning, sent.decision_id)
    # Published before the state was stored: the state then still had the welcome waiting (or no record yet).
    before_deferral, before_sending = decisions.stored
    assert before_deferral is None or not decode(CustomerState, before_deferral).contact.waiting
    assert [w.trigger.trigger_id for w in decode(CustomerState, before_sending).contact.waiting] == [welcome.trigger_id]
    assert shells.stored("c1").contact.waiting == ()
    reference = reference_end([consent, first], Policy(), morning + hours(1))
    assert [deferred, sent] == list(reference.decisions)
    assert [welcome.trigger_id] == [t.trigger_id for t in reference.triggers]
    registry = shells.records.metrics.registry
    counted = [
        registry.get_sample_value("comeback_contact_decisions_total", {"type": "welcome", "outcome": outcome})
        for outcome in ("deferred", "sent")
    ]
    assert counted == [1, 1]


class _ChangelogNotYetSeen(dict[str, Any]):
    """A table whose first ``failures`` changes raise as Faust's do while the consumer's metadata snapshot lacks
    the changelog topic (another worker has just created it)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def partition_for_key(self, key: str) -> int:
        """Faust checks the changelog's partitions here, when a record changes a key."""
        if self.failures:
            self.failures -= 1
            raise PartitionsMismatch("changelog has 0 partitions, the source topic 1")
        return 0


def test_a_record_that_meets_a_changelog_the_worker_does_not_see_yet_is_tried_again_not_dead_lettered(
    embedded_redis: EmbeddedRedis,
) -> None:
    settings = Settings(app_id="in-process", clock="wall", partitions=1, topic_prefix="ip.")
    shells = Shells(settings, embedded_redis.url, customer_table=_ChangelogNotYetSeen(failures=2))
    first = order("c1", at=datetime.now(UTC))
    record = shells.record("orders", "c1", first)
    run(shells.records.guarded(record, shells.customers.process, shells.customers.router.origin))
    assert shells.sent("dead_letters") == [] and shells.metadata_refreshes == 2  # fresh metadata asked before each wait
    assert [o.order_id for o in shells.stored("c1").orders] == [first.order_id]
    ((kind, _),) = {(t["type"], t["trigger_id"]) for t in shells.sent("triggers")}  # repeats share the id
    assert kind == "welcome"
