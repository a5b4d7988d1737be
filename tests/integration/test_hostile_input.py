"""Bad input at volume: hostile messages on every input topic, interleaved with a simulated shop's events.

No crash and no stalled partition: every hostile message comes out on the dead-letter topic with a reason,
and the valid events' triggers and contact decisions are exactly the reference run's. CI sends 150 per topic; set
COMEBACK_FUZZ_PER_TOPIC=10000 for the full proof (benchmarks/README.md).
"""

from __future__ import annotations

import base64
import os
import random
from datetime import datetime, timedelta, timezone

import pytest

from schemas.dead_letter import DeadLetter
from schemas.decisions import ContactDecision
from schemas.topics import INPUT_TOPICS, by_role
from schemas.triggers import Trigger
from streams.domain.policy import Policy
from streams.sdk.producer import EventProducer
from streams.tools.simulator import simulate_shop
from tests.hostile import hostile
from tests.integration.helpers import Workers, read_topic, reference_end

pytestmark = pytest.mark.integration
PER_TOPIC = int(os.environ.get("COMEBACK_FUZZ_PER_TOPIC", "150"))


def test_hostile_messages_are_dead_lettered_and_the_valid_ones_decide_as_the_reference_run(workers: Workers) -> None:
    start = datetime(2026, 5, 1, tzinfo=timezone(timedelta(hours=8)))
    events = sorted(simulate_shop(seed=4, customers=12, days=60, start=start), key=lambda e: e.occurred_at)
    until = events[-1].occurred_at + timedelta(days=1)
    reference = reference_end(events, Policy(), until)
    expected = reference.triggers
    settings = workers.start(clock="event", partitions=2)
    bad = [
        (spec, key, value)
        for n, spec in enumerate(INPUT_TOPICS)
        for key, value in hostile(
            spec, [e for e in events if spec.accepts(e.type)], PER_TOPIC, seed=n, max_bytes=settings.max_message_bytes
        )
    ]
    random.Random(7).shuffle(bad)
    per_event = -(-len(bad) // len(events))  # ceiling: all of them go out among the valid events
    queue = iter(bad)

    with EventProducer(settings) as producer:

        def interleave() -> None:
            for message in (next(queue, None) for _ in range(per_event)):
                if message is not None:
                    producer.send_raw(*message)

        producer.send_in_time_order(events, sent=interleave)
        producer.advance_watermark(until)

    wanted = {t.trigger_id for t in expected}

    def ids(values: list[bytes]) -> set[str]:
        return {Trigger.model_validate_json(v).trigger_id for v in values}

    wait = 120 + len(bad) / 50  # seconds: the worker dead-letters a few hundred a second at least
    triggers = read_topic(settings, settings.topic_name(by_role("triggers")), lambda v: ids(v) >= wanted, wait)
    letters = read_topic(settings, settings.topic_name(by_role("dead_letters")), lambda v: len(v) >= len(bad), wait)
    assert ids(triggers) == wanted
    decided = {d.decision_id for d in reference.decisions}
    decisions = read_topic(settings, settings.topic_name(by_role("decisions")), lambda v: len(v) >= len(decided))
    assert {ContactDecision.model_validate_json(v).decision_id for v in decisions} == decided
    rejected = [DeadLetter.model_validate_json(v) for v in letters]
    assert all(letter.reason and letter.code != "processing_error" for letter in rejected)
    sent = sorted(base64.b64encode(value).decode() for _, _, value in bad)
    assert sorted(letter.value_base64 for letter in rejected) == sent
