"""Intake: a raw Kafka record becomes a contract, or a Rejection saying precisely why it cannot."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from factories import T0, days, hours, line, order, product_upserted, profile_changed, refund, view

from schemas.base import SCHEMA_VERSION
from schemas.control import CustomersProgress, TimerTick, WatermarkAdvanced
from schemas.events import CustomerProfileChanged, OrderPlaced, OrderRefunded
from schemas.topics import TOPICS, by_role
from streams.domain.policy import IntakePolicy, Policy, ShopPolicy
from streams.runtime.intake import Rejection, check_plausible, dead_letter, decode

ORDERS, BEHAVIOR, TICKS = by_role("orders"), by_role("behavior"), by_role("ticks")
CUSTOMERS, WATCHERS = by_role("customers"), by_role("watchers")
WATERMARKED = [t for t in TOPICS if t.accepts("watermark_advanced")]
LIMIT = 64 * 1024


def _body(**changes: Any) -> dict[str, Any]:
    """A valid order_placed message as JSON-ready data, with some fields changed or (None) removed."""
    body = order(customer_id="c1", order_id="o1", event_id="e1").model_dump(mode="json")
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _rejected(value: bytes | None, key: bytes | None = b"c1", spec=ORDERS, max_bytes: int = LIMIT) -> Rejection:
    result = decode(key, value, spec, max_bytes)
    assert isinstance(result, Rejection), result
    return result


def test_a_valid_event_decodes_to_its_model() -> None:
    placed = order(customer_id="c1")
    assert decode(b"c1", placed.model_dump_json().encode(), ORDERS, LIMIT) == placed


@pytest.mark.parametrize(
    "value",
    [b"{not json", b"\xc3\x28", '{"type": "café"}'.encode("latin-1"), b"", None],
    ids=["garbage", "invalid UTF-8", "Latin-1", "empty", "no value"],
)
def test_a_value_that_is_not_utf8_json_is_not_json(value: bytes | None) -> None:
    assert _rejected(value).code == "not_json"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_valid_event_encoded_other_than_in_utf8_is_not_json(encoding: str) -> None:
    """JSON between systems is UTF-8 (RFC 8259); other encodings are dead-lettered, not guessed."""
    assert _rejected(json.dumps(_body()).encode(encoding)).code == "not_json"


def test_a_value_over_the_size_limit_is_too_large_and_says_both_sizes() -> None:
    value = _bytes(_body())
    rejection = _rejected(value, max_bytes=len(value) - 1)
    assert rejection.code == "too_large"
    assert str(len(value)) in rejection.reason and str(len(value) - 1) in rejection.reason
    assert decode(b"c1", value, ORDERS, len(value)) is not None  # exactly at the limit is fine


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body(customer_id=None), "customer_id"),
        (_body(occurred_at="2025-03-03T09:30:00"), "occurred_at"),
        (_body(total=-1), "total"),
        (_body(lines=[]), "lines"),
    ],
    ids=["missing customer_id", "naive datetime", "negative total", "no lines"],
)
def test_an_invalid_event_is_invalid_and_names_the_field(body: dict[str, Any], field: str) -> None:
    rejection = _rejected(_bytes(body))
    assert rejection.code == "invalid"
    assert field in rejection.reason


def test_json_that_is_not_an_object_is_invalid() -> None:
    assert _rejected(b'["order_placed"]').code == "invalid"


@pytest.mark.parametrize(
    "body",
    [_body(type="order_teleported"), _body(type=None), _body(type=7)],
    ids=["unknown name", "no type", "not a string"],
)
def test_a_message_of_an_unknown_type_is_unknown_type(body: dict[str, Any]) -> None:
    assert _rejected(_bytes(body)).code == "unknown_type"


def test_a_newer_major_version_is_unsupported_but_a_newer_minor_is_accepted() -> None:
    """Minor versions only add optional fields; a new major may change meaning, so it is dead-lettered."""
    assert _rejected(_bytes(_body(schema_version="2.0"))).code == "unsupported_version"
    accepted = decode(b"c1", _bytes(_body(schema_version="1.7")), ORDERS, LIMIT)
    assert isinstance(accepted, OrderPlaced) and accepted.schema_version == "1.7"


def test_an_event_on_another_topic_than_its_own_is_wrong_topic_and_names_its_topic() -> None:
    seen = view(customer_id="c1")
    rejection = _rejected(seen.model_dump_json().encode(), spec=ORDERS)
    assert rejection.code == "wrong_topic"
    assert rejection.reason.startswith("product_viewed belongs on comeback.behavior, not comeback.orders")
    assert decode(b"c1", seen.model_dump_json().encode(), BEHAVIOR, LIMIT) == seen


@pytest.mark.parametrize("key", [b"c2", None, b""], ids=["another customer", "no key", "empty key"])
def test_a_key_other_than_the_customer_id_is_a_key_mismatch(key: bytes | None) -> None:
    """The key decides the partition: a wrong key would fold the event into the wrong customer's state."""
    rejection = _rejected(_bytes(_body()), key=key)
    assert rejection.code == "key_mismatch"
    assert "c1" in rejection.reason


def test_a_timer_tick_on_the_ticks_topic_decodes() -> None:
    tick = TimerTick(customer_id="c1", at=T0)
    assert decode(b"c1", tick.model_dump_json().encode(), TICKS, LIMIT) == tick


@pytest.mark.parametrize("spec", WATERMARKED, ids=[t.role for t in WATERMARKED])
@pytest.mark.parametrize("key", [None, b"anything"])
def test_a_watermark_decodes_whatever_its_key_on_a_topic_that_carries_watermarks(spec, key: bytes | None) -> None:
    mark = WatermarkAdvanced(at=T0)
    assert decode(key, mark.model_dump_json().encode(), spec, LIMIT) == mark


def test_a_customer_event_on_the_ticks_topic_is_wrong_topic() -> None:
    assert _rejected(_bytes(_body()), spec=TICKS).code == "wrong_topic"


@pytest.mark.parametrize(("key", "value"), [(b"c1", b"\x00\xff{oops"), (None, b"x"), (b"k", None)])
def test_a_dead_letter_keeps_the_original_bytes_and_where_they_came_from(
    key: bytes | None,
    value: bytes | None,
) -> None:
    rejection = Rejection("not_json", "not UTF-8 JSON")
    letter = dead_letter(rejection, key, value, topic=ORDERS.name, partition=3, offset=1234, now=T0 + hours(1))
    assert base64.b64decode(letter.value_base64) == (value or b"")
    assert letter.key_base64 is None if key is None else base64.b64decode(letter.key_base64) == key
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (ORDERS.name, 3, 1234)
    assert (letter.code, letter.reason, letter.rejected_at) == (rejection.code, rejection.reason, T0 + hours(1))


# --- forward compatibility: a newer minor version of a producer is read ------------------------------------


def test_a_producer_on_a_newer_minor_that_adds_fields_is_accepted_and_the_new_fields_ignored() -> None:
    body = _body(schema_version="1.9", loyalty_points=120, lines=[{**_body()["lines"][0], "gift_wrap": True}])
    accepted = decode(b"c1", _bytes(body), ORDERS, LIMIT)
    assert isinstance(accepted, OrderPlaced) and accepted.schema_version == "1.9"
    assert accepted.model_dump(exclude={"schema_version"}) == decode(b"c1", _bytes(_body()), ORDERS, LIMIT).model_dump(
        exclude={"schema_version"}
    )


def test_a_control_message_with_fields_it_does_not_know_is_accepted() -> None:
    """Internal messages too: a newer worker in a rolling upgrade may add a field."""
    body = json.loads(CustomersProgress(partitions=(0, 1), before=T0).model_dump_json()) | {"schema_version": "7.0"}
    assert decode(b"any", _bytes(body), WATCHERS, LIMIT) == CustomersProgress(partitions=(0, 1), before=T0)


def test_the_engine_writes_its_own_minor_version() -> None:
    assert order().schema_version == SCHEMA_VERSION == "1.1"


@pytest.mark.parametrize("version", ["0.9", "1", "1.x", "١.0", "1.0.0", "01.0", "9" * 5000 + ".0"], ids=str.__len__)
def test_a_schema_version_other_than_1_minor_is_invalid(version: str) -> None:
    rejection = _rejected(_bytes(_body(schema_version=version)))
    assert rejection.code == "invalid" and "schema_version" in rejection.reason


def test_a_newer_major_says_what_to_do() -> None:
    assert "upgrade the engine, or send 1.x" in _rejected(_bytes(_body(schema_version="2.0"))).reason


# --- strict JSON types: what the JSON Schema rejects, intake rejects ----------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"total": "199"}, 'field total: expected a number, got a string ("199")'),
        ({"total": True}, "field total: expected a number, got a boolean (true)"),
        ({"customer_id": 7}, "field customer_id: expected a string, got a number (7)"),
        ({"occurred_at": 1741000000}, "field occurred_at: expected an RFC 3339 date-time string"),
        ({"occurred_at": "1741000000"}, "field occurred_at: expected an RFC 3339 date-time with seconds"),
        ({"occurred_at": "2025-03-03T09:30:00+08"}, "write offsets as +HH:MM"),
        ({"occurred_at": "2025-03-03T09:30:00+0800"}, "write offsets as +HH:MM"),
        ({"occurred_at": "2025-03-03 09:30:00Z"}, "field occurred_at: expected an RFC 3339"),
        ({"occurred_at": "2025-02-29T09:30:00Z"}, "field occurred_at: expected an RFC 3339"),
        ({"occurred_at": "2025-03-03T09:30Z"}, "field occurred_at: expected an RFC 3339"),
        (
            {"lines": [{**line().model_dump(mode="json"), "quantity": "2"}]},
            "field lines[0].quantity: expected an integer",
        ),
        (
            {"lines": [{**line().model_dump(mode="json"), "quantity": 2.5}]},
            "field lines[0].quantity: expected an integer",
        ),
        ({"lines": [{**line().model_dump(mode="json"), "quantity": -1}]}, "field lines[0].quantity: Input should be"),
        ({"lines": [{**line().model_dump(mode="json"), "unit_price": -0.5}]}, "field lines[0].unit_price"),
        ({"discount": 1e10}, "field discount: Input should be less than or equal to 1000000000"),
        ({"currency": "usd"}, "field currency"),
        ({"coupon_code": "x" * 65}, "field coupon_code"),
        ({"lines": "p1"}, 'field lines: expected an array, got a string ("p1")'),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_value_of_the_wrong_json_type_or_out_of_bounds_is_invalid_and_says_what_was_expected(
    changes: dict[str, Any], reason: str
) -> None:
    rejection = _rejected(_bytes(_body(**changes)))
    assert rejection.code == "invalid"
    assert reason in rejection.reason, rejection.reason
    assert rejection.reason.endswith("The OrderPlaced JSON Schema (comeback schema --out DIR) states every field")


def test_an_integral_number_is_an_integer_as_in_json_schema() -> None:
    body = _body(lines=[{**line().model_dump(mode="json"), "quantity": 2.0}])
    accepted = decode(b"c1", _bytes(body), ORDERS, LIMIT)
    assert isinstance(accepted, OrderPlaced) and accepted.lines[0].quantity == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-03T17:30:00+08:00", T0),
        ("2025-03-03T09:30:00Z", T0),
        ("2025-03-03T04:30:00-05:00", T0),
        ("2025-03-03T09:30:00.000000001Z", T0),
        ("2025-03-03T09:30:00.5Z", T0 + hours(0.5 / 3600)),
    ],
)
def test_an_rfc3339_time_with_any_offset_is_read_as_that_instant(text: str, expected: Any) -> None:
    accepted = decode(b"c1", _bytes(_body(occurred_at=text)), ORDERS, LIMIT)
    assert isinstance(accepted, OrderPlaced) and accepted.occurred_at == expected


@pytest.mark.parametrize(
    "value", [b'{"type": "order_placed", "total": NaN}', b'{"type": "order_placed", "total": 1e400}']
)
def test_a_number_that_is_not_finite_is_rejected(value: bytes) -> None:
    assert _rejected(value).code in ("not_json", "invalid")


def test_a_huge_integer_or_deep_nesting_is_rejected_not_raised() -> None:
    assert _rejected(b'{"type": "order_placed", "total": ' + b"9" * 5000 + b"}").code == "not_json"
    assert _rejected(b"[" * 20_000 + b"]" * 20_000).code == "not_json"


@pytest.mark.parametrize(
    ("zone", "accepted"),
    [
        ("Asia/Shanghai", True),
        ("UTC", True),
        ("+08:00", False),
        ("UTC+8", False),
        ("asia/shanghai", False),
        ("", False),
    ],
)
def test_a_time_zone_is_an_iana_name_as_the_schema_lists_them(zone: str, accepted: bool) -> None:
    body = profile_changed(customer_id="c1", timezone="UTC").model_dump(mode="json") | {"timezone": zone}
    result = decode(b"c1", _bytes(body), CUSTOMERS, LIMIT)
    assert isinstance(result, CustomerProfileChanged) is accepted, result
    if not accepted:
        assert "field timezone" in result.reason


def test_a_birthday_is_a_real_calendar_date() -> None:
    body = profile_changed(customer_id="c1").model_dump(mode="json")
    assert isinstance(
        decode(b"c1", _bytes(body | {"birthday": "1992-02-29"}), CUSTOMERS, LIMIT), CustomerProfileChanged
    )
    for wrong in ("1991-02-29", "1991-2-1", "19910201", 665366400):
        assert _rejected(_bytes(body | {"birthday": wrong}), spec=CUSTOMERS).code == "invalid"


def test_a_product_listed_as_related_to_its_own_category_drops_it() -> None:
    upserted = product_upserted(product_id="p1", category="ink")
    body = upserted.model_dump(mode="json") | {"related_categories": ["ink", "paper"]}
    decoded = decode(b"p1", _bytes(body), by_role("catalog"), LIMIT)
    assert not isinstance(decoded, Rejection) and decoded.related_categories == ("paper",)


# --- plausibility: what the schema cannot know, checked with the policy and the clock ----------------------

NOW = T0 + days(1)


def _checked(body: dict[str, Any], policy: Policy = Policy(), spec=ORDERS, now=NOW) -> Any:
    return decode(str(body.get("customer_id", "k")).encode(), _bytes(body), spec, LIMIT, policy=policy, now=now)


def test_without_a_policy_only_the_contract_is_checked() -> None:
    body = _body(occurred_at="2031-01-01T00:00:00Z", currency="USD")
    assert isinstance(decode(b"c1", _bytes(body), ORDERS, LIMIT), OrderPlaced)


def test_an_event_far_ahead_of_the_engine_clock_is_implausible_and_says_why() -> None:
    rejection = _checked(_body(occurred_at="2031-01-01T00:00:00Z"))
    assert isinstance(rejection, Rejection) and rejection.code == "implausible_time"
    assert "more than 24 h ahead of the engine's clock" in rejection.reason
    assert "intake.max_future_skew_hours" in rejection.reason


def test_a_small_clock_skew_is_accepted_up_to_the_policy_bound() -> None:
    within = (NOW + hours(24)).isoformat()
    beyond = (NOW + hours(24) + hours(1 / 3600)).isoformat()
    assert isinstance(_checked(_body(occurred_at=within)), OrderPlaced)
    assert _checked(_body(occurred_at=beyond)).code == "implausible_time"
    tight = Policy(intake=IntakePolicy(max_future_skew_hours=0))
    assert _checked(_body(occurred_at=(NOW + hours(1)).isoformat()), tight).code == "implausible_time"
    assert isinstance(_checked(_body(occurred_at=within), now=None), OrderPlaced)  # no clock: no upper bound


def test_an_event_before_the_floor_is_implausible() -> None:
    rejection = _checked(_body(occurred_at="1970-01-01T00:00:00Z"))
    assert rejection.code == "implausible_time" and "intake.earliest_occurred_at" in rejection.reason
    assert isinstance(_checked(_body(occurred_at="2000-01-01T00:00:00Z")), OrderPlaced)
    assert _checked(_body(occurred_at="2000-01-01T07:59:59+08:00")).code == "implausible_time"


def test_an_order_in_another_currency_than_the_shops_is_wrong_currency_and_says_what_to_do() -> None:
    rejection = _checked(_body(currency="USD"))
    assert isinstance(rejection, Rejection) and rejection.code == "wrong_currency"
    assert rejection.reason == (
        "order_placed is in USD, the shop keeps amounts in CNY: send CNY amounts, or map a rate in the policy "
        "(shop.exchange_rates: {USD: <CNY per USD>})"
    )


@pytest.mark.parametrize("currency", [None, "CNY"])
def test_an_order_in_the_shop_currency_or_without_one_is_accepted_unchanged(currency: str | None) -> None:
    body = _body(currency=currency)
    assert _checked(body) == decode(b"c1", _bytes(body), ORDERS, LIMIT)


def test_an_order_in_a_mapped_currency_is_converted_to_the_shop_currency() -> None:
    usd = Policy(shop=ShopPolicy(exchange_rates={"USD": 7.0}))
    placed = order(lines=[line(unit_price=10.0, quantity=2, list_price=12.0)], discount=1.0)
    converted = _checked(json.loads(placed.model_dump_json()) | {"currency": "USD"}, usd)
    assert isinstance(converted, OrderPlaced) and converted.currency == "CNY"
    assert (converted.total, converted.discount) == (placed.total * 7, 7.0)
    assert (converted.lines[0].unit_price, converted.lines[0].list_price, converted.lines[0].quantity) == (70, 84, 2)


def test_a_refund_in_a_mapped_currency_is_converted_and_in_another_is_wrong_currency() -> None:
    usd = Policy(shop=ShopPolicy(exchange_rates={"USD": 7.0}))
    body = json.loads(refund("o1", 10.0).model_dump_json()) | {"currency": "USD"}
    converted = _checked(body, usd)
    assert isinstance(converted, OrderRefunded) and (converted.amount, converted.currency) == (70.0, "CNY")
    assert _checked(body | {"currency": "EUR"}, usd).code == "wrong_currency"


def test_a_conversion_past_the_money_bound_is_invalid() -> None:
    huge = Policy(shop=ShopPolicy(exchange_rates={"IDR": 1e6}))
    rejection = _checked(_body(currency="IDR", total=5000), huge)
    assert rejection.code == "invalid" and "field total" in rejection.reason


def test_a_behaviour_event_is_checked_for_time_only() -> None:
    late = view(customer_id="c1", at=NOW + days(30))
    rejection = check_plausible(late, policy=Policy(), now=NOW)
    assert isinstance(rejection, Rejection) and rejection.code == "implausible_time"
    seen = view(customer_id="c1")
    assert check_plausible(seen, policy=Policy(), now=NOW) is seen


def test_a_watermark_in_the_far_future_is_rejected_like_an_event() -> None:
    """One watermark in 2099 would fire every timer in event time, and be saved and restored for good."""
    now = T0
    late = WatermarkAdvanced(at=now + days(3650)).model_dump_json().encode()
    result = decode(b"watermark", late, ORDERS, LIMIT, policy=Policy(), now=now)
    assert isinstance(result, Rejection) and result.code == "implausible_time" and result.reason.startswith("at ")
    fine = WatermarkAdvanced(at=now).model_dump_json().encode()
    assert isinstance(decode(b"watermark", fine, ORDERS, LIMIT, policy=Policy(), now=now), WatermarkAdvanced)
