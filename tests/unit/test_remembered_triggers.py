"""The triggers a customer had are remembered by due time, so the bounded record does not depend on the order
they came in (an event-time worker gets a product alert after the customer's later events), and a state stored
with ids only still reads."""

from __future__ import annotations

import random

from factories import T0, hours

from streams.domain.customer.state import FORMERLY_FIRED, CustomerState, FiredTrigger, remember_fired


def _fired(n: int) -> list[FiredTrigger]:
    return [FiredTrigger(trigger_id=f"t{i:03d}", due_at=T0 + hours(i % 37)) for i in range(n)]


def test_the_same_triggers_in_any_order_and_batches_leave_the_same_record() -> None:
    triggers = _fired(100)
    records = set()
    for seed in range(20):
        rng = random.Random(seed)
        shuffled = rng.sample(triggers, len(triggers))
        record: tuple[FiredTrigger, ...] = ()
        while shuffled:
            size = rng.randint(1, 5)
            batch, shuffled = shuffled[:size], shuffled[size:]
            record = remember_fired(record, batch, 64)
        records.add(record)
    assert len(records) == 1
    (record,) = records
    assert len(record) == 64
    assert list(record) == sorted(triggers, key=lambda f: (f.due_at, f.trigger_id))[-64:]


def test_a_trigger_remembered_twice_is_kept_once() -> None:
    (one,) = _fired(1)
    assert remember_fired((one,), [one], 64) == (one,)


def test_a_state_stored_with_trigger_ids_only_reads_with_those_ids_due_first_to_be_forgotten() -> None:
    stored = CustomerState.model_validate_json('{"customer_id": "c1", "fired_trigger_ids": ["b", "a"]}')
    assert stored.fired == (
        FiredTrigger(trigger_id="a", due_at=FORMERLY_FIRED),
        FiredTrigger(trigger_id="b", due_at=FORMERLY_FIRED),
    )
    assert stored.fired_trigger_ids == {"a", "b"}
    newer = FiredTrigger(trigger_id="c", due_at=T0)
    assert remember_fired(stored.fired, [newer], 2) == (stored.fired[1], newer)
    assert CustomerState.model_validate_json(stored.model_dump_json()) == stored
