"""Every trigger type through the real broker and worker, on a simulated shop, against the pure core.

The simulated history has orders, refunds, cancellations, views, favorites, follows, profiles, stock and
price moves and a big sale; the worker (event time, two partitions, product alerts fanned out through
the watchers topic) must publish exactly the triggers that the one-process reference run predicts.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import get_args

import pytest

from schemas.topics import by_role
from schemas.triggers import Trigger, TriggerType
from streams.core.offline import run_offline
from streams.policy import Policy
from streams.producer import EventProducer
from streams.simulator import simulate_shop
from tests.integration.helpers import Workers, read_topic

pytestmark = pytest.mark.integration

ROUTED = "comeback.triggers.catalog"


def test_the_worker_publishes_every_trigger_type_exactly_as_the_pure_core_predicts(workers: Workers) -> None:
    events = list(simulate_shop(seed=3, customers=25, days=150, start=datetime(2026, 8, 1, tzinfo=timezone(timedelta(hours=8)))))
    until = max(e.occurred_at for e in events) + timedelta(days=1)
    _, expected = run_offline(events, Policy(), until)
    assert set(Counter(t.type for t in expected)) == set(get_args(TriggerType))  # the history covers the catalogue

    routes = '{"price_drop": "%s", "back_in_stock": "%s", "favorite_low_stock": "%s"}' % ((ROUTED,) * 3)
    settings = workers.start(clock="event", trigger_routes=routes)
    with EventProducer(settings) as producer:
        producer.send_all(events)
        producer.advance_watermark(until)
    routed_types = {"price_drop", "back_in_stock", "favorite_low_stock"}
    want_default = sum(t.type not in routed_types for t in expected)
    default = read_topic(settings, settings.topic_name(by_role("triggers")), lambda v: len(v) >= want_default, 120)
    routed = read_topic(settings, f"{settings.topic_prefix}{ROUTED}", lambda v: len(v) >= len(expected) - want_default, 60)

    received = [Trigger.model_validate_json(v) for v in (*default, *routed)]
    assert sorted(t.trigger_id for t in received) == sorted(t.trigger_id for t in expected)
    assert all(Trigger.model_validate_json(v).type in routed_types for v in routed)
