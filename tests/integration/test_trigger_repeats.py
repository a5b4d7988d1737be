"""The SDK's repeat filter for notification services, on a real redis-server."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from streams.adapters.redis_view import connect
from streams.domain.policy import Policy
from streams.engine.reference import run_reference
from streams.sdk.repeats import TriggerRepeats
from streams.tools.embedded import EmbeddedRedis
from tests.factories import T0, days, order, profile_changed

pytestmark = pytest.mark.integration


def test_a_repeated_trigger_is_dropped_until_its_id_expires(embedded_redis: EmbeddedRedis) -> None:
    consent = profile_changed("c1", at=T0, consents={"push": True})
    _, (welcome, *_) = run_reference([consent, order("c1", at=T0)], Policy(), T0 + days(1))
    with connect(embedded_redis.url) as client:
        prefix = f"t{uuid.uuid4().hex[:8]}:"
        consumer_a = TriggerRepeats(client, ttl=timedelta(seconds=1), prefix=prefix)
        consumer_b = TriggerRepeats(client, ttl=timedelta(seconds=1), prefix=prefix)  # another instance
        assert consumer_a.first(welcome) is True
        assert consumer_b.first(welcome) is False  # the repeat a crash can cause, same trigger_id
        consumer_b.forget(welcome)  # acting on it failed: let the redelivery through
        assert consumer_b.first(welcome) is True
        time.sleep(1.2)
        assert consumer_a.first(welcome) is True  # remembered for the TTL only
