"""The Redis profile view on a real redis-server: monotonic writes, tag sets, audiences, erasure, the worker's
batched flushes, outages."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from factories import profile

from schemas.profile import CustomerProfile
from streams.adapters.redis_view import (
    BATCH,
    STALE_BATCHES,
    ProfileProjector,
    audience,
    connect,
    connect_async,
    erase_profile,
    profile_key,
    read_profile,
    tag_key,
    write_profile,
)
from streams.tools.embedded import EmbeddedRedis, free_port, lowest_ephemeral_port

pytestmark = pytest.mark.integration


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def client(embedded_redis: EmbeddedRedis) -> Iterator[redis.Redis]:
    with connect(embedded_redis.url) as redis_client:
        yield redis_client


def _keys(client: redis.Redis, prefix: str) -> set[str]:
    return set(client.scan_iter(match=f"{prefix}*"))


def test_a_newer_revision_replaces_and_an_older_or_repeated_one_changes_nothing(
    client: redis.Redis, prefix: str
) -> None:
    first = profile("c1", revision=3, order_count=1)
    assert write_profile(client, prefix, first)
    assert read_profile(client, prefix, "c1") == first
    assert not write_profile(client, prefix, first)  # a replay of the same revision
    assert not write_profile(client, prefix, profile("c1", revision=2, order_count=9))
    assert read_profile(client, prefix, "c1") == first
    newer = profile("c1", revision=4, order_count=2, timezone="Asia/Shanghai")
    assert write_profile(client, prefix, newer)
    assert read_profile(client, prefix, "c1") == newer
    without_timezone = profile("c1", revision=5, order_count=2)
    assert write_profile(client, prefix, without_timezone)  # the stale field is gone, not kept
    assert read_profile(client, prefix, "c1") == without_timezone
    assert read_profile(client, prefix, "nobody") is None


def test_the_same_revision_derived_later_replaces_the_stored_one(client: redis.Redis, prefix: str) -> None:
    write_profile(client, prefix, profile("c1", revision=3, lifecycle="active"))
    assert write_profile(client, prefix, profile("c1", revision=3, lifecycle="silent"))
    assert client.smembers(tag_key(prefix, "lifecycle", "silent")) == {"c1"}
    assert not client.exists(tag_key(prefix, "lifecycle", "active"))


def test_a_customer_moves_between_tag_sets_when_the_profile_changes(client: redis.Redis, prefix: str) -> None:
    write_profile(client, prefix, profile("c1", revision=1, lifecycle="active", top_categories=("shoes", "yoga")))
    write_profile(client, prefix, profile("c2", revision=1, lifecycle="active", top_categories=("shoes",)))
    assert client.smembers(tag_key(prefix, "category", "shoes")) == {"c1", "c2"}
    write_profile(client, prefix, profile("c1", revision=2, lifecycle="sleeping", top_categories=("yoga",)))
    assert client.smembers(tag_key(prefix, "lifecycle", "active")) == {"c2"}
    assert client.smembers(tag_key(prefix, "lifecycle", "sleeping")) == {"c1"}
    assert client.smembers(tag_key(prefix, "category", "shoes")) == {"c2"}
    assert client.smembers(tag_key(prefix, "category", "yoga")) == {"c1"}


def test_an_audience_intersects_tags_and_unites_the_values_of_one_tag(client: redis.Redis, prefix: str) -> None:
    customers = [
        profile("a", lifecycle="sleeping", tier="vip", segments=("price_sensitive",), top_categories=("yoga",)),
        profile("b", lifecycle="sleeping", tier="vip", segments=(), top_categories=("yoga", "running")),
        profile("c", lifecycle="sleeping", tier="member", segments=("price_sensitive",), top_categories=("running",)),
        profile("d", lifecycle="active", tier="super_vip", segments=("price_sensitive",), top_categories=("yoga",)),
    ]
    for customer in customers:
        write_profile(client, prefix, customer)
    assert audience(client, prefix, lifecycle="sleeping") == ["a", "b", "c"]
    assert audience(client, prefix, lifecycle="sleeping", tier="vip", category="yoga") == ["a", "b"]
    assert audience(client, prefix, lifecycle="sleeping", tier="vip", segment="price_sensitive", category="yoga") == [
        "a"
    ]
    assert audience(client, prefix, tier=["vip", "super_vip"], category=["running", "yoga"]) == ["a", "b", "d"]
    assert audience(client, prefix, tier=["vip", "super_vip"], lifecycle=["active", "lost"]) == ["d"]
    assert audience(client, prefix, category="knitting") == []
    assert audience(client, prefix, lifecycle="sleeping", tier=[]) == []
    assert not {key for key in _keys(client, prefix) if ":tmp:" in key}
    with pytest.raises(ValueError, match="unknown"):
        audience(client, prefix, colour="red")


def test_erasure_removes_the_hash_and_every_tag_membership(client: redis.Redis, prefix: str) -> None:
    write_profile(client, prefix, profile("gone", segments=("potential", "high_value"), top_categories=("yoga",)))
    write_profile(client, prefix, profile("kept", top_categories=("yoga",)))
    assert erase_profile(client, prefix, "gone")
    assert not erase_profile(client, prefix, "gone")
    assert read_profile(client, prefix, "gone") is None
    assert all("gone" not in client.smembers(key) for key in _keys(client, prefix) if ":tag:" in key)
    assert _keys(client, prefix) == {
        profile_key(prefix, "kept"),
        *(
            tag_key(prefix, *tag.split(":", 1))
            for tag in (
                "lifecycle:active",
                "tier:member",
                "segment:potential",
                "purchasing_power:medium",
                "price_sensitivity:low",
                "category:yoga",
            )
        ),
    }
    assert write_profile(client, prefix, profile("gone", revision=1))  # a returning customer starts over


def _script_calls(client: redis.Redis) -> int:
    """EVALSHA calls the server ran since its statistics were last reset."""
    stats: dict[str, dict[str, int]] = client.info("commandstats")  # type: ignore[assignment]
    return stats.get("cmdstat_evalsha", {}).get("calls", 0)


def test_a_flush_writes_a_customer_changed_many_times_once_with_the_profile_it_has_then(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis
) -> None:
    current: dict[str, CustomerProfile] = {}

    async def scenario() -> None:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix)
        for revision in range(1, 21):  # twenty records between two flushes: marks, no I/O
            current["c1"] = profile("c1", revision=revision, order_count=revision)
            projector.mark_changed("c1")
        assert projector.pending == {"c1"} and read_profile(client, prefix, "c1") is None
        client.config_resetstat()
        await projector.flush(current.get)
        assert projector.pending == set()

    asyncio.run(scenario())
    assert _script_calls(client) == 1
    assert read_profile(client, prefix, "c1") == current["c1"]


def test_more_marked_customers_than_one_batch_are_all_written_once(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis
) -> None:
    current = {f"c{n}": profile(f"c{n}", revision=1, top_categories=("yoga",)) for n in range(2 * BATCH + 1)}

    async def scenario() -> None:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix)
        await projector.flush(current.get, current.keys)  # a new view (no marker): every held customer is marked
        assert {c: read_profile(client, prefix, c) for c in current} == current
        for customer_id in current:
            projector.mark_changed(customer_id)
        current.update({c: p.model_copy(update={"revision": 2}) for c, p in current.items()})
        client.config_resetstat()
        await projector.flush(current.get, current.keys)

    asyncio.run(scenario())
    assert _script_calls(client) == len(current)
    assert {c: read_profile(client, prefix, c) for c in current} == current
    assert client.smembers(tag_key(prefix, "category", "yoga")) == set(current)


def test_stale_customers_are_rewritten_a_few_batches_a_flush_after_the_changed_ones(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis
) -> None:
    """A rewrite of every customer held (a rebalance, an emptied view) does not hold back the changes made
    meanwhile: each flush writes the changed customers, then ``STALE_BATCHES`` batches of stale ones."""
    current = {f"c{n}": profile(f"c{n}", revision=1) for n in range(2 * 2 * STALE_BATCHES + 3)}
    per_flush = 2 * STALE_BATCHES

    async def scenario() -> list[int]:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix, batch=2)
        await projector.flush(current.get)  # sets the view's marker
        projector.mark_stale(*current)
        projector.mark_changed("c0")
        client.config_resetstat()
        await projector.flush(current.get)
        assert read_profile(client, prefix, "c0") == current["c0"]
        left = [len(projector.pending)]
        while projector.pending:
            await projector.flush(current.get)
            left.append(len(projector.pending))
        return left

    assert asyncio.run(scenario()) == [len(current) - 1 - per_flush, 2, 0]
    assert _script_calls(client) == len(current)
    assert {c: read_profile(client, prefix, c) for c in current} == current


def test_erasures_go_first_and_a_customer_back_after_its_erasure_is_written_anew(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis
) -> None:
    """Erasures come before writes, across batches too: a returning customer starts again at a lower revision,
    which only an empty entry takes. A customer ``load`` does not give (not held here) is not written."""
    erased = {c: profile(c, revision=5, segments=("high_value",)) for c in ("c1", "c2", "c3")}
    back = profile("c3", revision=1)

    async def scenario() -> frozenset[str]:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix, batch=2)
        projector.mark_stale(*erased)
        await projector.flush(erased.get)
        for customer_id in erased:
            projector.mark_erased(customer_id)
        projector.mark_changed("c3")
        projector.mark_changed("elsewhere")
        await projector.flush({"c3": back}.get)
        return projector.pending

    assert asyncio.run(scenario()) == set()
    assert {c: read_profile(client, prefix, c) for c in ("c1", "c2", "c3", "elsewhere")} == {
        "c1": None,
        "c2": None,
        "c3": back,
        "elsewhere": None,
    }
    assert not client.exists(tag_key(prefix, "segment", "high_value"))


def test_a_profile_that_cannot_be_derived_costs_only_its_own_customer_the_write(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis
) -> None:
    good = {c: profile(c, revision=2) for c in ("c1", "c3")}

    def load(customer_id: str) -> CustomerProfile | None:
        if customer_id == "c2":
            raise ValueError("a bug in one customer's derivation")
        return good.get(customer_id)

    async def scenario() -> frozenset[str]:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix, batch=2)
        for customer_id in ("c1", "c2", "c3"):
            projector.mark_changed(customer_id)
        await projector.flush(load)
        return projector.pending

    assert asyncio.run(scenario()) == set()
    assert {c: read_profile(client, prefix, c) for c in ("c1", "c2", "c3")} == {**good, "c2": None}


def test_a_profile_key_holding_another_type_is_replaced_by_the_profile_or_erased(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis
) -> None:
    """The view owns its keys: something else wrote strings under c1's and c2's profile keys."""
    current = {"c1": profile("c1", revision=1)}
    client.set(profile_key(prefix, "c1"), "not a hash")
    client.set(profile_key(prefix, "c2"), "not a hash either")

    async def scenario() -> frozenset[str]:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix)
        projector.mark_changed("c1")
        projector.mark_erased("c2")
        await projector.flush(current.get)
        return projector.pending

    assert asyncio.run(scenario()) == set()
    assert read_profile(client, prefix, "c1") == current["c1"]
    assert not client.exists(profile_key(prefix, "c2"))


def test_a_write_refused_for_its_own_keys_costs_only_its_customer_and_an_erasure_is_tried_again(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """A string under the tag key of c2's one category: WRONGTYPE for c2's write and for its later erasure; the
    batch's others are written, the write waits for c2's next change, the erasure for the next flush."""
    current = {c: profile(c, revision=1) for c in ("c1", "c3")} | {"c2": profile("c2", top_categories=("kites",))}
    client.set(tag_key(prefix, "category", "kites"), "not a set")

    async def scenario() -> tuple[frozenset[str], frozenset[str]]:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix)
        for customer_id in current:
            projector.mark_changed(customer_id)
        await projector.flush(current.get)
        after_write = projector.pending
        projector.mark_erased("c2")
        await projector.flush(current.get)
        return after_write, projector.pending

    with caplog.at_level(logging.ERROR, logger="streams.adapters.redis_view"):
        after_write, after_erasure = asyncio.run(scenario())
    assert (after_write, after_erasure) == (set(), {"c2"})
    assert (read_profile(client, prefix, "c1"), read_profile(client, prefix, "c3")) == (current["c1"], current["c3"])
    assert "redis refused 1 of 3 profile writes (WRONGTYPE" in caplog.text


def test_a_server_that_refuses_every_write_keeps_every_mark_for_the_next_flush(tmp_path: Path, prefix: str) -> None:
    """A replica after a failover answers READONLY to every script: that is Redis unavailable, not a refusal of
    each customer, so nothing is given up (erasures least of all)."""
    server = EmbeddedRedis(data_dir=tmp_path / "replica")
    current = {"c1": profile("c1", revision=1)}

    async def scenario() -> tuple[frozenset[str], frozenset[str]]:
        projector = ProfileProjector(connect_async(server.url), prefix)
        projector.mark_changed("c1")
        projector.mark_erased("gone")
        with connect(server.url) as admin:
            admin.replicaof("127.0.0.1", str(free_port()))  # a master that never answers: read-only from now on
            await projector.flush(current.get)
            while_read_only = projector.pending
            admin.replicaof("NO", "ONE")
        await projector.flush(current.get)
        return while_read_only, projector.pending

    with server.start():
        while_read_only, after = asyncio.run(scenario())
        assert (while_read_only, after) == ({"c1", "gone"}, set())
        with connect(server.url) as again:
            assert read_profile(again, prefix, "c1") == current["c1"]


def test_scripts_the_server_forgot_are_loaded_again(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis
) -> None:
    current = {"c1": profile("c1", revision=1), "c2": profile("c2", revision=1)}

    async def scenario() -> frozenset[str]:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix)
        projector.mark_changed("c1")
        await projector.flush(current.get)
        client.script_flush()  # as a restarted Redis that kept its data (AOF) would have
        projector.mark_erased("c1")
        projector.mark_changed("c2")
        await projector.flush(current.get)
        return projector.pending

    assert asyncio.run(scenario()) == set()
    assert (read_profile(client, prefix, "c1"), read_profile(client, prefix, "c2")) == (None, current["c2"])


def test_the_projector_keeps_going_while_redis_is_down_and_catches_up_after(
    tmp_path: Path, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    first = EmbeddedRedis(data_dir=tmp_path / "first")
    second = EmbeddedRedis(port=first.port, data_dir=tmp_path / "second")
    before = {"c1": profile("c1", revision=1), "gone": profile("gone", revision=1)}
    current = {"c1": profile("c1", revision=2, order_count=2), "c2": profile("c2", revision=1)}

    async def scenario() -> tuple[frozenset[str], frozenset[str]]:
        projector = ProfileProjector(connect_async(first.url), prefix)
        projector.mark_stale(*before)
        await projector.flush(before.get)
        first.stop()
        projector.mark_changed("c1")
        projector.mark_changed("c2")
        projector.mark_erased("gone")
        await projector.flush(current.get)  # raises nothing
        await projector.flush(current.get)  # still down: nothing happens
        while_down = projector.pending
        second.start()
        await projector.flush(current.get)
        return while_down, projector.pending

    with first.start(), ExitStack() as cleanup, caplog.at_level(logging.INFO, logger="streams.adapters.redis_view"):
        cleanup.callback(second.stop)  # started in the scenario, on the port of the first
        while_down, after = asyncio.run(scenario())
        assert while_down == {"c1", "c2", "gone"}
        assert after == set()
        with connect(second.url) as restarted:
            assert read_profile(restarted, prefix, "c1") == current["c1"]
            assert read_profile(restarted, prefix, "c2") == current["c2"]
            assert read_profile(restarted, prefix, "gone") is None
    messages = [record.getMessage() for record in caplog.records]
    assert sum("unavailable" in m for m in messages) == 1, messages
    assert sum(m.startswith("redis is back") for m in messages) == 1, messages


def test_a_view_that_comes_back_empty_is_rewritten_whole_from_the_held_customers(
    client: redis.Redis, prefix: str, embedded_redis: EmbeddedRedis
) -> None:
    """Redis restarted without its data (or flushed): no update was pending, yet every held customer's
    profile is rewritten on the next flush, because the view's marker key is gone too."""
    held = {"c1": profile("c1", revision=3, order_count=2), "c2": profile("c2", revision=1)}

    async def scenario() -> None:
        projector = ProfileProjector(connect_async(embedded_redis.url), prefix)
        projector.mark_stale(*held)
        await projector.flush(held.get, held.keys)  # sets the marker
        for key in _keys(client, prefix):
            client.delete(key)  # the view is lost, the projector was told nothing
        assert projector.pending == set()
        await projector.flush(held.get, held.keys)

    asyncio.run(scenario())
    assert {c: read_profile(client, prefix, c) for c in held} == held


def test_a_socket_that_echoes_the_ping_is_not_taken_for_redis_coming_back(prefix: str) -> None:
    """A client reconnecting to a server that is down can connect to itself (TCP self-connect) and read its own
    PING back: that is no PONG, so the projector keeps what is pending instead of 'writing' it into the echo."""

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def scenario() -> frozenset[str]:
        port = free_port()
        projector = ProfileProjector(connect_async(f"redis://127.0.0.1:{port}/0"), prefix)
        projector.mark_changed("c1")
        await projector.flush({"c1": profile("c1")}.get)  # nothing listens yet: down
        async with await asyncio.start_server(echo, "127.0.0.1", port):  # what "comes back" only echoes
            await projector.flush({"c1": profile("c1")}.get)
            return projector.pending

    assert asyncio.run(scenario()) == {"c1"}


def test_free_ports_are_below_the_range_outgoing_connections_are_given() -> None:
    ports = {free_port() for _ in range(20)}
    assert len(ports) > 1 and all(20000 <= port < lowest_ephemeral_port() for port in ports)
