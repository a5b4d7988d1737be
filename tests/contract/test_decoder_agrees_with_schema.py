"""One truth for the schema and the worker: intake accepts a message exactly when a standard JSON Schema
validator accepts it against the published schemas (``comeback schema``).

Messages are generated from the published JSON Schemas (hypothesis-jsonschema), valid ones as they are and
others mutated: a field swapped for a value of another JSON type or a near miss (a number in a string, an
epoch time, an offset without its colon, a trailing newline), removed, or added. For each, on each topic
that carries the message, ``decode`` must accept exactly when ``jsonschema`` accepts it against one of the
topic's message schemas, with the key the message names.

The oracle is jsonschema's Draft 2020-12 validator with one correction: JSON Schema patterns are ECMA-262,
where ``$`` is the end of the string; Python's ``re.search`` (which jsonschema uses) also lets ``$`` match
before a final newline. The correction uses ``regress``, an ECMA-262 engine (a check-jsonschema dependency).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import regress
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, ValidationError, validators

from schemas.topics import TOPICS, TopicSpec
from streams.runtime.intake import Rejection, decode
from streams.tools.schema_export import json_schemas


def _more(self: Any) -> bool:
    """The ``many.more()`` that hypothesis-jsonschema 0.23 calls, over the ``with many(...)`` / ``for _ in`` API
    that replaced it in recent Hypothesis releases (only added where it is missing)."""
    if self._depth is None:
        self.__enter__()
        self._compat_elements = iter(self)
    try:
        next(self._compat_elements)
    except StopIteration:
        self.__exit__(None, None, None)
        return False
    return True


if not hasattr(conjecture_utils.many, "more"):
    conjecture_utils.many.more = _more

SCHEMAS = json_schemas()
READ = [spec for spec in TOPICS if spec.direction != "out"]
EXAMPLES = 200  # per property test
LIMIT = 1 << 20


@cache
def _ecma(pattern: str) -> regress.Regex:
    return regress.Regex(pattern)


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    if validator.is_type(instance, "string") and _ecma(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


Standard = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
VALIDATORS = {name: Standard(schema, format_checker=Standard.FORMAT_CHECKER) for name, schema in SCHEMAS.items()}


def _schema_accepts(spec: TopicSpec, instance: Any) -> bool:
    return any(VALIDATORS[m.__name__].is_valid(instance) for m in spec.messages)


def _key(spec: TopicSpec, instance: Any) -> bytes:
    named = instance.get(spec.key) if isinstance(instance, dict) else None
    return named.encode("utf-8", "surrogatepass") if isinstance(named, str) else b"any-key"


def _agree(spec: TopicSpec, instance: Any) -> bool:
    """Decode and the schema agree; the assertion message names both verdicts."""
    value = json.dumps(instance).encode()
    decoded = decode(_key(spec, instance), value, spec, LIMIT)
    expected = _schema_accepts(spec, instance)
    accepted = not isinstance(decoded, Rejection)
    assert accepted == expected, (
        f"on {spec.name}: schema {'accepts' if expected else 'rejects'}, decode gave {decoded!r}\n{value.decode()}"
    )
    return accepted


_PAIRS = [(spec, m.__name__) for spec in READ for m in spec.messages]


def _narrowed(schema: Any) -> Any:
    """The schema with at most 3 items per array and 12 values per long enum (the time zones): it generates
    valid instances of the published schema, only fewer kinds of them, and much faster."""
    if isinstance(schema, list):
        return [_narrowed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    narrowed = {k: _narrowed(v) for k, v in schema.items() if k != "enum"}
    if "maxItems" in narrowed:
        narrowed["maxItems"] = min(narrowed["maxItems"], 3)
    if "enum" in schema:
        values = schema["enum"]
        narrowed["enum"] = values if len(values) <= 12 else values[:: len(values) // 12][:12]
    return narrowed


_PER_MESSAGE = {name: from_schema(_narrowed(SCHEMAS[name])) for name in sorted({name for _, name in _PAIRS})}
GENERATED = st.one_of(*(st.tuples(st.just(spec), _PER_MESSAGE[name]) for spec, name in _PAIRS))


_TIMES = st.sampled_from(
    [
        "2024-05-01T09:30:00+08:00",
        "2024-05-01T09:30:00+08",
        "2024-05-01T09:30:00+0800",
        "2024-05-01 09:30:00Z",
        "2024-05-01t09:30:00z",
        "2024-05-01T09:30Z",
        "2024-05-01T09:30:00",
        "2024-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2024-02-29T00:00:00Z",
        "2024-05-01T09:30:60Z",
        "2024-05-01T09:30:00.123456789Z",
        "2024-05-01T09:30:00,5Z",
        "1700000000",
        "1990-02-28",
        "1990-2-28",
        "Asia/Shanghai",
        "+08:00",
        "UTC",
        "utc",
    ]
)
_NEAR_MISSES = st.one_of(
    st.integers(-3, 3).map(str),  # "2": a number in a string
    st.floats(-1e3, 1e3, allow_nan=False).map(str),
    st.sampled_from([1700000000, 1700000000.5, 2.0, 2.5, -1, -0.01, 0, 1e9, 1e9 + 1, 10**20, True, False, None]),
    _TIMES,
    st.sampled_from(["", "x", "USD", "usd", "CNY", "1.0", "2.0", "1.99", "0.9", "10.0", "١.0", "sms", "fax"]),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["sms", "push", "fax"]), st.booleans(), max_size=2),
)
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[TopicSpec, dict[str, Any]]:
    spec, instance = draw(GENERATED)
    instance = dict(instance)
    fields = sorted(instance)
    how = draw(st.sampled_from(["swap", "swap", "newline", "drop", "add", "nested"]))
    if how == "swap" and fields:
        instance[draw(st.sampled_from(fields))] = draw(_NEAR_MISSES | _ANY_JSON)
    elif how == "newline" and (texts := [f for f in fields if isinstance(instance[f], str)]):
        chosen = draw(st.sampled_from(texts))
        instance[chosen] += "\n"
    elif how == "drop" and fields:
        del instance[draw(st.sampled_from(fields))]
    elif how == "nested" and isinstance(instance.get("lines"), list) and instance["lines"]:
        line = dict(instance["lines"][0])
        line[draw(st.sampled_from(sorted(line) + ["extra"]))] = draw(_NEAR_MISSES)
        instance["lines"] = [line, *instance["lines"][1:]]
    else:
        instance[draw(st.sampled_from(["surprise", "schema_version", "type", "currency", "timezone"]))] = draw(
            _NEAR_MISSES | _ANY_JSON
        )
    return spec, instance


_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@_SETTINGS
@given(GENERATED)
def test_every_message_generated_from_the_published_schemas_is_accepted(pair: tuple[TopicSpec, dict[str, Any]]) -> None:
    spec, instance = pair
    assert _schema_accepts(spec, instance)  # the generator's own promise, checked by the standard validator
    assert _agree(spec, instance)


@_SETTINGS
@given(_mutated())
def test_a_mutated_message_is_accepted_by_decode_exactly_when_the_schema_accepts_it(
    pair: tuple[TopicSpec, dict[str, Any]],
) -> None:
    _agree(*pair)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total", "199"),
        ("total", float("1e300")),
        ("occurred_at", 1700000000),
        ("occurred_at", "2024-05-01T09:30:00+08"),
        ("occurred_at", "2024-05-01T09:30:00+08:00\n"),
        ("order_id", "o-1\n"),
        ("schema_version", "1.١"),
        ("currency", "usd"),
    ],
)
def test_the_near_misses_that_once_disagreed_are_rejected_by_both(field: str, value: Any) -> None:
    spec = next(s for s in READ if s.role == "orders")
    base = {
        "type": "order_placed",
        "event_id": "e-1",
        "occurred_at": "2024-05-01T09:30:00+08:00",
        "customer_id": "c-1",
        "order_id": "o-1",
        "lines": [{"product_id": "p-1", "category": "skincare", "unit_price": 79.5, "quantity": 2}],
        "total": 159,
    }
    assert _agree(spec, base)
    assert not _agree(spec, base | {field: value})


def test_a_newer_minor_with_a_new_field_is_accepted_by_both() -> None:
    spec = next(s for s in READ if s.role == "behavior")
    body = {
        "type": "product_viewed",
        "schema_version": "1.9",
        "event_id": "e-1",
        "occurred_at": "2024-05-01T01:30:00Z",
        "customer_id": "c-1",
        "product_id": "p-1",
        "category": "shoes",
        "referrer": {"campaign": "spring", "position": 3},
    }
    assert _agree(spec, body)
    assert not _agree(spec, body | {"schema_version": "2.0"})
