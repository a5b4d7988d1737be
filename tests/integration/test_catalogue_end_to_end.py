"""Every trigger type and every contact outcome through the real broker and worker, on a simulated shop, against
the pure core.

The simulated history has orders, refunds, cancellations, views, favorites, follows, profiles (consents,
zones), stock and price moves and a big sale. The worker runs in event time with two partitions: the triggers
must be exactly those the one-process reference run predicts, product alerts (customer -> product -> customer
through two topics, the product side waiting for the customers) and catalog-cycle reminders (a lookup per
order) included, and so must the contact stage's decision records.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import get_args

import pytest

from schemas.decisions import ContactDecision, Outcome
from schemas.topics import by_role
from schemas.triggers import Trigger, TriggerType
from streams.domain.policy import Policy
from streams.sdk.producer import EventProducer
from streams.tools.simulator import simulate_shop
from tests.integration.helpers import Workers, read_topic, reference_end

pytestmark = pytest.mark.integration

ROUTED = "comeback.triggers.catalog"
PRODUCT_ALERTS = {"price_drop", "back_in_stock", "favorite_low_stock"}


def test_the_worker_publishes_every_trigger_type_as_the_pure_core_predicts(workers: Workers) -> None:
    start = datetime(2026, 5, 1, tzinfo=timezone(timedelta(hours=8)))
    events = list(simulate_shop(seed=3, customers=25, days=150, start=start))
    until = max(e.occurred_at for e in events) + timedelta(days=1)
    reference = reference_end(events, Policy(), until)
    expected = reference.triggers
    assert {t.type for t in expected} == set(get_args(TriggerType))  # the history covers the catalogue
    assert {d.outcome for d in reference.decisions} == set(get_args(Outcome))  # and every contact outcome
    assert "catalog" in {t.facts.get("cycle_source") for t in expected if t.type == "replenishment"}

    routes = "{" + ", ".join(f'"{kind}": "{ROUTED}"' for kind in sorted(PRODUCT_ALERTS)) + "}"
    settings = workers.start(clock="event", trigger_routes=routes)
    with EventProducer(settings) as producer:
        producer.send_in_time_order(sorted(events, key=lambda e: e.occurred_at))
        producer.advance_watermark(until)
    local = {t.trigger_id for t in expected if t.type not in PRODUCT_ALERTS}
    alerts = {t.trigger_id for t in expected if t.type in PRODUCT_ALERTS}
    default = read_topic(settings, settings.topic_name(by_role("triggers")), lambda v: len(v) >= len(local), 120)
    routed = read_topic(settings, f"{settings.topic_prefix}{ROUTED}", lambda v: len(v) >= len(alerts), 60)
    wanted = {d.decision_id: d for d in reference.decisions}
    decided = read_topic(settings, settings.topic_name(by_role("decisions")), lambda v: len(v) >= len(wanted), 60)

    assert {Trigger.model_validate_json(v).trigger_id for v in default} == local
    assert {Trigger.model_validate_json(v).trigger_id for v in routed} == alerts
    assert {d.decision_id: d for d in map(ContactDecision.model_validate_json, decided)} == wanted
