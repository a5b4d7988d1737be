"""replenishment, through the engine: a stock-up reminder lead_days (5) before the customer is due to buy a
consumable again, from their own cycle in the category when they have one, else the shop's (haircare: 30 days,
so day 25); every purchase sets the next reminder (domain: "consumables"; peers: weakness 3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from factories import T0, cancel, days, fold, hours, line, order, policy, refund
from factories import run as run_all

from schemas import events as ev
from schemas.triggers import Trigger
from streams.domain.contact.state import ContactLog
from streams.domain.customer.state import CustomerState, Timer, initial_state
from streams.domain.decision import schedule
from streams.engine.customer import advance, handle_event
from streams.engine.reference import run_reference
from streams.rules.replenishment import NAME

SECOND = timedelta(seconds=1)


run = partial(run_all, only=NAME)  # this rule's triggers only


def reminders(triggers: Sequence[Trigger]) -> list[Trigger]:
    return [t for t in triggers if t.type == NAME]


def _pending(state: CustomerState) -> list[tuple[str, datetime, datetime]]:
    return [(t.key, t.since, t.due_at) for t in state.timers if t.kind == NAME]


def shampoo(at: datetime, order_id: str | None = None, **kwargs) -> ev.OrderPlaced:
    return order(product_id="shampoo", category="haircare", at=at, order_id=order_id, **kwargs)


def test_the_reminder_comes_exactly_on_day_25_of_a_30_day_cycle() -> None:
    state, _ = run([shampoo(T0)])
    assert _pending(state) == [("haircare", T0, T0 + days(25))]
    assert reminders(advance(state, T0 + days(25) - SECOND, policy()).triggers) == []
    [trigger] = reminders(advance(state, T0 + days(25), policy()).triggers)
    assert (trigger.customer_id, trigger.due_at) == ("c1", T0 + days(25))


def test_the_reminder_carries_the_stock_up_offer_and_explains_the_cycle() -> None:
    _, [trigger] = run([shampoo(T0)], until=T0 + days(25))
    assert trigger.offer == policy().replenishment.offer
    assert trigger.channel == "wechat"  # the contact stage's first preference (every channel is open in rule tests)
    assert [(p.product_id, p.category) for p in trigger.products] == [("shampoo", "haircare")]
    assert (
        trigger.facts.items()
        >= {
            "category": "haircare",
            "cycle_days": 30,
            "cycle_source": "policy",
            "last_purchase_at": T0.isoformat(),
            "lead_days": 5,
        }.items()
    )
    assert "haircare" in trigger.reason and "30 days" in trigger.reason
    assert (T0 + days(30)).date().isoformat() in trigger.reason


def test_a_category_without_a_cycle_gets_no_reminder() -> None:
    state, triggers = run([order(category="shoes", at=T0)], until=T0 + days(400))
    assert (_pending(state), triggers) == ([], [])


def test_the_customers_own_cycle_beats_the_shops() -> None:
    """Bought every 20 days: the next reminder is on day 15 after the last purchase, not day 25."""
    state, triggers = run([shampoo(T0), shampoo(T0 + days(20))])
    assert (_pending(state), triggers) == ([("haircare", T0 + days(20), T0 + days(35))], [])
    assert reminders(advance(state, T0 + days(35) - SECOND, policy()).triggers) == []
    [trigger] = reminders(advance(state, T0 + days(35), policy()).triggers)
    assert (trigger.facts["cycle_source"], trigger.facts["cycle_days"]) == ("learned", 20)
    assert "own rhythm over 2 purchases" in trigger.reason


def test_a_learned_cycle_gives_a_reminder_in_a_category_the_policy_does_not_list() -> None:
    state, _ = run([order(category="pet-food", at=T0), order(category="pet-food", at=T0 + days(40))])
    assert _pending(state) == [("pet-food", T0 + days(40), T0 + days(75))]


def test_a_repurchase_cancels_the_old_reminder_and_sets_the_next() -> None:
    state, triggers = run([shampoo(T0), shampoo(T0 + days(24))], until=T0 + days(24) + days(19) - SECOND)
    assert (triggers, _pending(state)) == ([], [("haircare", T0 + days(24), T0 + days(24) + days(19))])
    [trigger] = reminders(advance(state, T0 + days(43), policy()).triggers)
    assert trigger.facts["last_purchase_at"] == (T0 + days(24)).isoformat()


def test_every_order_updates_the_cycle() -> None:
    """Gaps of 20 then 30 days: the median is 25, so the reminder is 20 days after the third purchase."""
    state, _ = run([shampoo(T0), shampoo(T0 + days(20)), shampoo(T0 + days(50))])
    assert _pending(state) == [("haircare", T0 + days(50), T0 + days(70))]


def test_a_repurchase_on_the_due_day_stops_that_reminder() -> None:
    state, triggers = run([shampoo(T0), shampoo(T0 + days(25))], until=T0 + days(25))
    assert triggers == []
    assert _pending(state) == [("haircare", T0 + days(25), T0 + days(45))]


def test_a_reminder_due_before_the_repurchase_is_sent_even_if_the_repurchase_is_processed_first() -> None:
    """Event time: the customer was due on day 25 and bought on day 40; the engine saw no tick in between."""
    state, _ = run([shampoo(T0)])
    decision = handle_event(state, shampoo(T0 + days(40)), T0 + days(40), policy())
    [trigger] = reminders(decision.triggers)
    assert (trigger.due_at, trigger.facts["last_purchase_at"]) == (T0 + days(25), T0.isoformat())
    assert _pending(decision.state) == [("haircare", T0 + days(40), T0 + days(75))]


def test_the_offline_run_and_a_ticking_clock_send_the_same_reminders() -> None:
    history = [shampoo(T0), shampoo(T0 + days(30)), shampoo(T0 + days(62))]
    _, offline = run_reference(history, policy(), until=T0 + days(120))
    state, ticked = initial_state("c1"), []
    for day in range(121):
        now = T0 + days(day)
        for event in (e for e in history if e.occurred_at == now):
            decision = handle_event(state, event, now, policy())
            state, ticked = decision.state, [*ticked, *decision.triggers]
        decision = advance(state, now, policy())
        state, ticked = decision.state, [*ticked, *decision.triggers]
    assert [t.due_at for t in reminders(offline)] == [T0 + days(25), T0 + days(55), T0 + days(88)]
    assert [t.trigger_id for t in reminders(offline)] == [t.trigger_id for t in reminders(ticked)]


def test_an_earlier_order_that_arrives_late_only_refines_the_cycle() -> None:
    state, triggers = run([shampoo(T0 + days(20)), shampoo(T0)])
    assert (_pending(state), triggers) == ([("haircare", T0 + days(20), T0 + days(35))], [])


def test_cancelling_the_repurchase_brings_back_the_reminder_of_the_purchase_before() -> None:
    state, _ = run([shampoo(T0), shampoo(T0 + days(10), order_id="o-re"), cancel("o-re", at=T0 + days(12))])
    assert _pending(state) == [("haircare", T0, T0 + days(25))]


def test_a_cancelled_only_purchase_gets_no_reminder() -> None:
    state, triggers = run([shampoo(T0, order_id="o1"), cancel("o1", at=T0 + days(1))], until=T0 + days(60))
    assert (_pending(state), triggers) == ([], [])


def test_a_fully_refunded_only_purchase_gets_no_reminder() -> None:
    state, triggers = run(
        [shampoo(T0, order_id="o1", total=80.0), refund("o1", 80.0, at=T0 + days(3))], until=T0 + days(60)
    )
    assert (_pending(state), triggers) == ([], [])


def test_when_it_fires_the_reminder_checks_again_for_a_purchase_since() -> None:
    """A stale timer (set from day 0) over a history with a day-20 purchase: no reminder, the next one is set."""
    folded = fold(shampoo(T0), shampoo(T0 + days(20)))
    stale = schedule(folded, Timer(kind=NAME, key="haircare", due_at=T0 + days(25), since=T0))
    decision = advance(stale, T0 + days(25), policy())
    assert reminders(decision.triggers) == []
    assert _pending(decision.state) == [("haircare", T0 + days(20), T0 + days(35))]


def test_each_category_has_its_own_reminder() -> None:
    both = order(lines=[line("shampoo", "haircare"), line("beans", "coffee")], at=T0)
    state, triggers = run([both], until=T0 + days(30))
    assert [(t.facts["category"], t.due_at) for t in triggers] == [
        ("coffee", T0 + days(16)),
        ("haircare", T0 + days(25)),
    ]
    assert all(t.products == () for t in triggers)  # which line is which category is not kept
    assert _pending(state) == []


def test_the_cycles_and_the_lead_come_from_the_policy() -> None:
    custom = policy(replenishment={"lead_days": 2, "category_cycles_days": {"haircare": 10}})
    state, _ = run([shampoo(T0)], using=custom)
    assert _pending(state) == [("haircare", T0, T0 + days(8))]


def test_a_cycle_no_longer_than_the_lead_gets_no_reminder() -> None:
    state, triggers = run([shampoo(T0)], until=T0 + days(60), using=policy(replenishment={"lead_days": 30}))
    assert (_pending(state), triggers) == ([], [])


def test_replaying_the_same_history_gives_the_same_trigger_id() -> None:
    history = [shampoo(T0), shampoo(T0 + days(20))]
    _, [first] = run(history, until=T0 + days(60))
    _, [again] = run(history, until=T0 + days(90))
    assert again.trigger_id == first.trigger_id


def test_the_reminder_is_never_sent_twice() -> None:
    placed = shampoo(T0, order_id="o1")
    state, [_] = run([placed], until=T0 + days(25))
    assert reminders(advance(state, T0 + days(90), policy()).triggers) == []
    assert run([placed], until=T0 + days(90), state=state)[1] == []
    redelivered = shampoo(T0, order_id="o1")  # same order, a new event id
    state, triggers = run([redelivered], until=T0 + days(90), state=state)
    assert (triggers, _pending(state)) == ([], [])


def test_a_disabled_reminder_schedules_nothing() -> None:
    off = policy(replenishment={"enabled": False})
    state, triggers = run([shampoo(T0)], until=T0 + days(60), using=off)
    assert (_pending(state), triggers) == ([], [])


def test_the_state_after_the_engine_matches_the_fold() -> None:
    events = [shampoo(T0), shampoo(T0 + days(20)), order(category="books", at=T0 + hours(1))]
    state, _ = run(events, until=T0 + days(90))
    bookkeeping = {"timers": (), "revision": 0, "fired": (), "contact": ContactLog()}
    assert state.model_copy(update=bookkeeping) == fold(*events).model_copy(update=bookkeeping)


def test_a_partly_refunded_purchase_still_counts() -> None:
    state, _ = run([shampoo(T0, order_id="o1", total=80.0), refund("o1", 20.0, at=T0 + days(3))])
    assert _pending(state) == [("haircare", T0, T0 + days(25))]


def test_a_longer_cycle_in_a_new_policy_postpones_a_reminder_set_under_the_old_one() -> None:
    state, _ = run([shampoo(T0)])
    longer = policy(replenishment={"category_cycles_days": {"haircare": 45}})
    decision = advance(state, T0 + days(25), longer)
    assert (reminders(decision.triggers), _pending(decision.state)) == ([], [("haircare", T0, T0 + days(40))])
    [trigger] = reminders(advance(decision.state, T0 + days(40), longer).triggers)
    assert trigger.facts["cycle_days"] == 45
