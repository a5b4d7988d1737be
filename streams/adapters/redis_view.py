"""The live profile view in Redis: one hash per customer and segment index sets, written atomically.

Layout (``{prefix}`` is ``COMEBACK_REDIS_PREFIX``, ``comeback:`` by default)::

    {prefix}profile:{customer_id}   hash: every CustomerProfile field (strings as they are, other values
                                    as JSON, null fields left out), including ``revision``, plus ``_tags``
                                    (a JSON list of the ``name:value`` tags below, to untag on change)
    {prefix}tag:{name}:{value}      set of customer ids, for each tag name in TAGS: lifecycle, tier,
                                    segment (each named segment), purchasing_power, price_sensitivity,
                                    category (each of top_categories); and SCORE_TAGS: comeback_band,
                                    value_band (the repurchase model's bands, when the profile has scores)

Writes go through Lua scripts (EVALSHA, EVAL when the server does not know them yet), so a replace or an
erasure moves a customer between tag sets without a reader or a concurrent writer seeing half of it. A
profile with a lower revision than the stored one, or the same revision and the same fields, changes
nothing: replays and stale writers cannot go back. The scripts touch tag keys they compute themselves,
so they need a standalone Redis (or a single hash slot), as the audience intersections do anyway.

The CLI uses the sync client; the worker uses ``ProfileProjector`` on an asyncio client: records only mark
their customers, and a timer writes the marked ones in pipelined batches, keeping the marks while Redis is down.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, get_origin

import redis
import redis.asyncio
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError
from redis.retry import Retry

from schemas.profile import CustomerProfile

__all__ = [
    "BATCH",
    "SCORE_TAGS",
    "TAGS",
    "ProfileProjector",
    "audience",
    "connect",
    "connect_async",
    "decode_profile",
    "encode_profile",
    "erase_profile",
    "profile_key",
    "profile_tags",
    "read_profile",
    "tag_key",
    "write_profile",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 500
"""Script calls per pipeline when the worker flushes its marked customers."""
STALE_BATCHES = 4
"""Batches of stale customers (a rebalance, an emptied view) a flush rewrites at most, after the changed ones: a
rewrite of every customer a worker holds does not hold back the changes made meanwhile."""

_TAG_VALUES: dict[str, Callable[[CustomerProfile], Iterable[str]]] = {
    "lifecycle": lambda p: (p.lifecycle,),
    "tier": lambda p: (p.tier,),
    "segment": lambda p: p.segments,
    "purchasing_power": lambda p: (p.purchasing_power,),
    "price_sensitivity": lambda p: (p.price_sensitivity,),
    "category": lambda p: p.top_categories,
}
TAGS: tuple[str, ...] = tuple(_TAG_VALUES)
_SCORE_TAG_VALUES: dict[str, Callable[[CustomerProfile], Iterable[str]]] = {
    "comeback_band": lambda p: () if p.comeback_band is None else (p.comeback_band,),
    "value_band": lambda p: () if p.value_band is None else (p.value_band,),
}
SCORE_TAGS: tuple[str, ...] = tuple(_SCORE_TAG_VALUES)
"""Tags of the repurchase scores (issue 12): only profiles scored by a fitted model carry them."""
_TAGS_FIELD = "_tags"
_STRUCTURED = frozenset(
    name for name, field in CustomerProfile.model_fields.items() if get_origin(field.annotation) in (tuple, dict)
)
# Fail fast: one immediate reconnect (a pooled connection may be stale), then report the error. RESP2, as tested:
# redis-py 8.2 starts with a RESP3 HELLO by default, and reading an echoed HELLO raises AttributeError, not
# a connection error (a socket connected to itself must count as Redis down). A URL's ?protocol= still wins.
_CLIENT_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 1.0,
    "socket_timeout": 2.0,
    "decode_responses": True,
    "protocol": 2,
}

# The view owns its keys: a profile key holding anything but a hash is replaced (or erased) like a stale profile.
_UNTAG = """
local function is_hash(key) return redis.call('TYPE', key).ok == 'hash' end
local function untag(key, tag_prefix, member)
  local stored = is_hash(key) and redis.call('HGET', key, '_tags')
  if stored then
    for _, tag in ipairs(cjson.decode(stored)) do redis.call('SREM', tag_prefix .. tag, member) end
  end
  return redis.call('DEL', key)
end
"""
# KEYS[1] the profile hash; ARGV: tag key prefix, customer id, revision, then field/value pairs.
_WRITE = (
    _UNTAG
    + """
local stored = is_hash(KEYS[1]) and tonumber(redis.call('HGET', KEYS[1], 'revision'))
local revision = tonumber(ARGV[3])
if stored and revision < stored then return 0 end
if stored == revision and redis.call('HLEN', KEYS[1]) * 2 == #ARGV - 3 then
  local same = true
  for i = 4, #ARGV, 2 do
    if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then same = false break end
  end
  if same then return 0 end
end
untag(KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
for _, tag in ipairs(cjson.decode(redis.call('HGET', KEYS[1], '_tags'))) do
  redis.call('SADD', ARGV[1] .. tag, ARGV[2])
end
return 1
"""
)
# KEYS[1] the profile hash; ARGV: tag key prefix, customer id.
_ERASE = _UNTAG + "return untag(KEYS[1], ARGV[1], ARGV[2])"


def connect(url: str) -> redis.Redis:
    """A sync client that fails fast instead of retrying for seconds."""
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 1), **_CLIENT_OPTIONS)


def connect_async(url: str) -> redis.asyncio.Redis:
    """The asyncio twin of ``connect``, for the worker."""
    return redis.asyncio.Redis.from_url(url, retry=AsyncRetry(NoBackoff(), 1), **_CLIENT_OPTIONS)


def profile_key(prefix: str, customer_id: str) -> str:
    return f"{prefix}profile:{customer_id}"


def tag_key(prefix: str, name: str, value: str) -> str:
    return f"{prefix}tag:{name}:{value}"


def profile_tags(profile: CustomerProfile) -> tuple[str, ...]:
    """The ``name:value`` tags the profile is indexed under, in TAGS then SCORE_TAGS order, without repeats."""
    every = _TAG_VALUES | _SCORE_TAG_VALUES
    return tuple(dict.fromkeys(f"{name}:{value}" for name, values in every.items() for value in values(profile)))


def encode_profile(profile: CustomerProfile) -> dict[str, str]:
    """The hash fields of a profile: strings as they are, other values as JSON, nulls left out."""
    values = profile.model_dump(mode="json", exclude_none=True)
    return {name: value if isinstance(value, str) else json.dumps(value) for name, value in values.items()}


def decode_profile(fields: Mapping[str, str]) -> CustomerProfile:
    """The profile stored in a hash (fields that are not the profile's, like ``_tags``, are ignored)."""
    values = {
        name: json.loads(raw) if name in _STRUCTURED else raw
        for name, raw in fields.items()
        if name in CustomerProfile.model_fields
    }
    return CustomerProfile.model_validate(dict.fromkeys(CustomerProfile.model_fields) | values)


@dataclass(frozen=True)
class _ScriptCall:
    """One Lua script invocation, run on a sync or an asyncio client."""

    source: str
    keys: list[str]
    args: list[str]

    def run(self, client: redis.Redis) -> bool:
        return bool(client.register_script(self.source)(self.keys, self.args))

    def queue(self, pipe: Pipeline) -> None:
        """EVALSHA on a pipeline; a NOSCRIPT reply is the caller's to handle (``ProfileProjector._run``)."""
        pipe.evalsha(_sha(self.source), len(self.keys), *self.keys, *self.args)


@cache
def _sha(source: str) -> str:
    return hashlib.sha1(source.encode()).hexdigest()


def _write_call(prefix: str, profile: CustomerProfile) -> _ScriptCall:
    fields = encode_profile(profile) | {_TAGS_FIELD: json.dumps(profile_tags(profile))}
    pairs = [item for field in fields.items() for item in field]
    return _ScriptCall(
        _WRITE,
        [profile_key(prefix, profile.customer_id)],
        [f"{prefix}tag:", profile.customer_id, str(profile.revision), *pairs],
    )


def _erase_call(prefix: str, customer_id: str) -> _ScriptCall:
    return _ScriptCall(_ERASE, [profile_key(prefix, customer_id)], [f"{prefix}tag:", customer_id])


def write_profile(client: redis.Redis, prefix: str, profile: CustomerProfile) -> bool:
    """Store the profile unless the stored one is newer or the same; True when something changed."""
    return _write_call(prefix, profile).run(client)


def erase_profile(client: redis.Redis, prefix: str, customer_id: str) -> bool:
    """Delete the customer's hash and take it out of its tag sets; True when there was one."""
    return _erase_call(prefix, customer_id).run(client)


def read_profile(client: redis.Redis, prefix: str, customer_id: str) -> CustomerProfile | None:
    fields: dict[str, str] = client.hgetall(profile_key(prefix, customer_id))  # type: ignore[assignment]  # decode_responses
    return decode_profile(fields) if fields else None


def audience(client: redis.Redis, prefix: str, **filters: str | Iterable[str]) -> list[str]:
    """Ids of the customers matching every filter, sorted; several values for one tag match any of them.

    ``audience(client, prefix, lifecycle="sleeping", category=["yoga", "running"])``
    """
    known = (*TAGS, *SCORE_TAGS)
    unknown = sorted(set(filters) - set(known))
    if unknown or not filters:
        raise ValueError(f"filter by at least one of {', '.join(known)}" + (f"; unknown: {unknown}" if unknown else ""))
    groups = [
        [tag_key(prefix, name, value) for value in dict.fromkeys([values] if isinstance(values, str) else values)]
        for name, values in filters.items()
    ]
    if not all(groups):
        return []  # a filter with no values matches nobody
    keys: list[str] = []
    unions: list[str] = []
    with client.pipeline(transaction=True) as pipe:  # MULTI/EXEC: the fixed temporary names cannot collide
        for group in groups:
            if len(group) == 1:
                keys.append(group[0])
            else:
                unions.append(f"{prefix}tmp:audience:{len(unions)}")
                keys.append(unions[-1])
                pipe.sunionstore(unions[-1], group)
        pipe.sinter(keys)
        if unions:
            pipe.delete(*unions)
        results = pipe.execute()
    return sorted(results[len(unions)])


class ProfileProjector:
    """The worker's writer, off the record path: a record only marks its customer (``mark_changed``,
    ``mark_erased``), and ``flush`` (from a timer) writes each marked customer once, with the profile it has then.

    It never raises on a Redis failure: the marks are kept and written once Redis answers PING again. Logs once
    when Redis goes down and once when it is back. A view that lost its marker key (Redis came back empty, or
    was flushed) is rewritten whole from the customers this worker holds, and so are the customers of
    partitions this worker takes over (``mark_stale``): their previous owner's marks are gone.
    """

    def __init__(self, client: redis.asyncio.Redis, prefix: str, batch: int = BATCH) -> None:
        self._client = client
        self._prefix = prefix
        self._batch = batch
        self._changed: set[str] = set()  # since the last flush: all written by the next
        self._stale: set[str] = set()  # STALE_BATCHES per flush
        self._erased: set[str] = set()
        self._down = False

    @property
    def pending(self) -> frozenset[str]:
        """Customers whose Redis entries are behind their state."""
        return frozenset(self._changed | self._stale | self._erased)

    def mark_changed(self, customer_id: str) -> None:
        """This customer's state changed: write its profile on the next flush."""
        self._changed.add(customer_id)

    def mark_stale(self, *customer_ids: str) -> None:
        """These customers' entries may be behind: rewrite them, after the changed ones, over the next flushes."""
        self._stale.update(customer_ids)

    def mark_erased(self, customer_id: str) -> None:
        """This customer was erased: delete its entries on the next flush, before any later write."""
        self._changed.discard(customer_id)
        self._stale.discard(customer_id)
        self._erased.add(customer_id)

    async def flush(
        self, load: Callable[[str], CustomerProfile | None], held: Callable[[], Iterable[str]] = tuple
    ) -> None:
        """Write, ``batch`` script calls per pipeline, the erasures then the changes marked when the flush starts
        (later marks wait for the next flush), then up to ``STALE_BATCHES`` batches of stale customers. ``load``
        gives a customer's current profile (None: not held here, its mark is dropped), ``held`` every customer
        this worker holds (all stale when the view lost its marker)."""
        if await self._attempt(self._answers()) is None or await self._attempt(self._keep_marker(held)) is None:
            return
        erased, changed = self._erased, self._changed
        self._erased, self._changed = set(), set()
        self._stale -= changed
        stale = [self._stale.pop() for _ in range(min(len(self._stale), STALE_BATCHES * self._batch))]
        marked = [(customer_id, True) for customer_id in erased] + [(c, False) for c in (*changed, *stale)]
        written = 0
        for start in range(0, len(marked), self._batch):
            batch = [
                (c, erasing, call)
                for c, erasing in marked[start : start + self._batch]
                if (call := self._call(c, erasing, load))
            ]
            refused = await self._attempt(self._run([call for _, _, call in batch]))
            if refused is None:
                for customer_id, erasing in marked[start:]:  # all for the next flush, the stale ones too
                    (self._erased if erasing else self._changed).add(customer_id)
                return
            self._erased.update(c for c, erasing, _ in (batch[i] for i in refused) if erasing)  # never given up
            written += len(batch) - len(refused)
        if self._down:
            self._down = False
            log.info("redis is back: %d pending profile updates written", written)

    def _call(
        self, customer_id: str, erasing: bool, load: Callable[[str], CustomerProfile | None]
    ) -> _ScriptCall | None:
        if erasing:
            return _erase_call(self._prefix, customer_id)
        try:
            profile = load(customer_id)
        except Exception as exc:  # one customer's failure must not cost the others their writes, nor stop the timer
            log.error(
                "a profile could not be derived (%s): its customer is written at its next change", type(exc).__name__
            )
            return None
        return None if profile is None else _write_call(self._prefix, profile)

    async def _answers(self) -> bool:
        """Raise unless Redis answers PING with PONG (a socket connected to itself echoes the PING)."""
        if not await self._client.ping():
            raise redis.ConnectionError("PING was not answered with PONG")
        return True

    async def _keep_marker(self, held: Callable[[], Iterable[str]]) -> bool:
        """Set the view's marker key; when it was absent (a new or emptied Redis), mark every held customer."""
        if await self._client.set(f"{self._prefix}view:alive", "1", nx=True):
            self.mark_stale(*held())
        return True

    async def _run(self, calls: list[_ScriptCall]) -> list[int]:
        """The calls in one pipeline, without MULTI (each script is atomic); the positions of those Redis refused.

        On NOSCRIPT (a restarted or flushed script cache) the scripts are loaded and the whole batch runs again:
        that changes nothing twice, as writes are ordered by revision and a customer's erasure comes before its
        write. A call refused for its own keys (WRONGTYPE: a tag key of another type under the view's prefix)
        costs only its customer; any other error (READONLY after a failover, OOM, a lost connection) raises, and
        the batch waits for the next flush."""
        results = await self._pipeline(calls)
        if any(isinstance(result, NoScriptError) for result in results):
            for source in {call.source for call in calls}:
                await self._client.script_load(source)
            results = await self._pipeline(calls)
        errors = [(i, result) for i, result in enumerate(results) if isinstance(result, redis.ResponseError)]
        if other := next((error for _, error in errors if "WRONGTYPE" not in str(error)), None):
            raise other
        if errors:
            log.error(
                "redis refused %d of %d profile writes (WRONGTYPE: a key under the view's prefix holds another "
                "type): a write waits for its customer's next change, an erasure for the next flush",
                len(errors),
                len(calls),
            )
        return [i for i, _ in errors]

    async def _pipeline(self, calls: list[_ScriptCall]) -> list[object]:
        async with self._client.pipeline(transaction=False) as pipe:
            for call in calls:
                call.queue(pipe)
            return list(await pipe.execute(raise_on_error=False))

    async def _attempt(self, operation: Awaitable[T]) -> T | None:
        """The operation's result, or None when Redis failed (logged once until it is back)."""
        try:
            return await operation
        except redis.RedisError as exc:
            if not self._down:
                self._down = True
                log.warning("redis unavailable, queueing profile updates until it is back: %s", exc)
            return None
