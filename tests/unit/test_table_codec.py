"""table_codec: the compact stored form of the states gives back the same models, and the earlier form still reads."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta
from statistics import median

import pytest
from pydantic import BaseModel

from streams.adapters.table_codec import FORMAT_2, FORMAT_3, decode, encode
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy
from streams.domain.product.state import ProductState
from streams.domain.product.watchers import Watchers
from streams.engine.reference import ReferenceShop
from streams.tools.simulator import simulate_shop
from tests.factories import T0


@pytest.fixture(scope="module")
def shop() -> ReferenceShop:
    """A simulated shop folded by the reference run: customers with orders, views, timers and waiting triggers."""
    shop = ReferenceShop(Policy())
    events = sorted(simulate_shop(seed=3, customers=40, days=90, start=T0), key=lambda e: e.occurred_at)
    for event in events:
        shop.apply(event)
    shop.run_timers(T0 + timedelta(days=90))
    return shop


def _models(shop: ReferenceShop) -> list[BaseModel]:
    return [*shop.customers.values(), *shop.products.values(), *shop.watchers.values()]


def test_every_state_of_a_simulated_shop_reads_back_equal_in_every_format(shop: ReferenceShop) -> None:
    models = _models(shop)
    assert any(isinstance(m, CustomerState) and m.orders and m.contact.waiting for m in models)
    assert any(isinstance(m, Watchers) and m != Watchers(product_id=m.product_id) for m in models)
    for model in models:
        stored = encode(model)
        assert stored[:1] == FORMAT_3 and decode(type(model), stored) == model
        json_text = model.model_dump_json(exclude_defaults=True).encode()
        format_2 = FORMAT_2 + zlib.compress(json_text, 1)  # written before format 3
        assert decode(type(model), format_2) == model
        format_1 = json.dumps(model.model_dump(mode="json")).encode()  # what Faust's json serializer wrote
        assert decode(type(model), format_1) == model


def test_the_dictionary_saves_a_fifth_of_a_customer_states_bytes(shop: ReferenceShop) -> None:
    """Format 3 against format 2 (the same JSON compressed without the preset dictionary)."""
    states = list(shop.customers.values())
    without = [len(zlib.compress(s.model_dump_json(exclude_defaults=True).encode(), 1)) for s in states]
    assert median(len(encode(s)) for s in states) < 0.85 * median(without)


def test_a_customer_state_takes_under_a_third_of_the_bytes_of_format_1(shop: ReferenceShop) -> None:
    compact = [len(encode(s)) for s in shop.customers.values()]
    format_1 = [len(json.dumps(s.model_dump(mode="json"))) for s in shop.customers.values()]
    assert median(compact) * 3 < median(format_1)


@pytest.mark.parametrize(
    "stored",
    [
        FORMAT_2 + b"not zlib",
        FORMAT_3 + b"not zlib",
        encode(ProductState(product_id="p1"))[:-4],  # cut short
        b"{not json",
        b'{"product_id": 3}',
    ],
)
def test_a_value_in_neither_form_raises_value_error(stored: bytes) -> None:
    with pytest.raises(ValueError):
        decode(ProductState, stored)
