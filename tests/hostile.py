"""Hostile input for an input topic: seeded, every kind an integrator or attacker could send.

Each message is built from a valid event of the topic by one mutation: truncated JSON, wrong types, huge
strings and numbers, NaN, deep nesting, odd unicode, negative or absurd amounts, year 1 and 9999, naive
times, missing and wrong keys, a newer major version, another topic's event. ``hostile`` keeps only
what the worker's own decoder rejects (a mutation may happen to stay valid, e.g. odd unicode in a free
text field), so a pipeline test can expect each one in the dead letters.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

from schemas.base import Envelope
from schemas.topics import TopicSpec
from streams.domain.policy import Policy
from streams.runtime.intake import Rejection, decode

__all__ = ["hostile"]

Body = dict[str, Any]
Mutation = Callable[[random.Random, Body], bytes]

_TIMES = ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "2026-05-01T10:00:00", "2026-05-01 10:00")
_NUMBERS = (-1, -0.01, 1e308, 2_000_000_100, float("nan"), float("inf"), "199", True)
_TEXT = ("", "x" * 100_000, "\u0000", "\ud800", "👍" * 300, "\u202e gnp.exe", "13800138000")


def _dumps(body: Body) -> bytes:
    return json.dumps(body, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


def _pick_key(rng: random.Random, body: Body) -> str:
    return rng.choice(sorted(body))


def _truncated(rng: random.Random, body: Body) -> bytes:
    raw = _dumps(body)
    return raw[: rng.randrange(1, len(raw) - 1)]


def _wrong_type(rng: random.Random, body: Body) -> bytes:
    key = _pick_key(rng, body)
    return _dumps(body | {key: rng.choice([[], {}, 12.5, "text", None, True])})


def _bad_number(rng: random.Random, body: Body) -> bytes:
    numeric = [k for k, v in body.items() if isinstance(v, int | float) and not isinstance(v, bool)] or ["total"]
    return _dumps(body | {rng.choice(numeric): rng.choice(_NUMBERS)})


def _bad_time(rng: random.Random, body: Body) -> bytes:
    return _dumps(body | {"occurred_at": rng.choice((*_TIMES, 1_700_000_000, "yesterday"))})


def _bad_text(rng: random.Random, body: Body) -> bytes:
    ids = [k for k in body if k.endswith("_id") or k == "type"]
    return _dumps(body | {rng.choice(ids): rng.choice(_TEXT)})


def _deep(rng: random.Random, body: Body) -> bytes:
    depth = rng.choice((50, 500, 5_000))
    return _dumps(body | {"extra": None}).replace(b'"extra": null', b'"extra": ' + b"[" * depth + b"]" * depth)


def _missing(rng: random.Random, body: Body) -> bytes:
    key = rng.choice([k for k in ("event_id", "type", "occurred_at", "customer_id", "product_id") if k in body])
    return _dumps({k: v for k, v in body.items() if k != key})


def _newer_major(rng: random.Random, body: Body) -> bytes:
    return _dumps(body | {"schema_version": rng.choice(("2.0", "9.1", "1", "v1.0"))})


def _not_an_object(rng: random.Random, body: Body) -> bytes:
    return rng.choice((b"[]", b"null", b"42", b'"order"', b"", b"\xff\xfe{}", b"{" * 10))


MUTATIONS: tuple[Mutation, ...] = (
    _truncated, _wrong_type, _bad_number, _bad_time, _bad_text, _deep, _missing, _newer_major, _not_an_object,
)  # fmt: skip


def hostile(
    spec: TopicSpec, examples: list[Envelope], count: int, seed: int, max_bytes: int
) -> Iterator[tuple[bytes, bytes]]:
    """``count`` (key, value) pairs the decoder rejects on ``spec``, each a mutation of one of ``examples``
    (valid events of that topic); a few keep the event but come with a wrong key."""
    rng, made = random.Random(seed), 0
    while made < count:
        example = rng.choice(examples)
        body = example.model_dump(mode="json")
        key = str(body.get(spec.key, "k")).encode()
        if rng.random() < 0.05:
            key, value = rng.choice((b"", b"someone-else", "\u0000".encode())), _dumps(body)
        else:
            value = rng.choice(MUTATIONS)(rng, body)
        if isinstance(decode(key, value, spec, max_bytes, policy=Policy(), now=None), Rejection):
            made += 1
            yield key, value
