"""DecodedTable: a table's stored values read as models once, kept while this worker writes them, written behind."""

from __future__ import annotations

from typing import Any

from streams.adapters.table_codec import FORMAT_3, decode, encode
from streams.domain.customer.state import CustomerState, initial_state
from streams.runtime.decoded import DecodedTable


class CountingTable(dict[str, Any]):
    """A plain table that counts its reads."""

    reads = 0

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)


def test_a_value_is_decoded_once_and_what_was_written_is_read_back_without_decoding() -> None:
    table = CountingTable(c1=encode(initial_state("c1")))
    states = DecodedTable(table, CustomerState)
    first = states.get("c1")
    assert first == initial_state("c1") and states.get("c1") is first and table.reads == 1
    changed = initial_state("c1").model_copy(update={"revision": 3})
    states.put("c1", changed)
    assert states.get("c1") is changed and decode(CustomerState, table["c1"]).revision == 0  # not written yet
    assert states.unwritten() == ["c1"] and written(states) == 1 and states.unwritten() == []
    assert decode(CustomerState, table["c1"]).revision == 3 and table.reads == 1
    assert states.get("nobody") is None and states.get("nobody") is None and table.reads == 2


def written(states: DecodedTable[CustomerState]) -> int:
    """Write what is held back (as a flush does once the sends are acknowledged); how many keys."""
    count = len(states.unwritten())
    states.held_back()()
    return count


class CountingWrites(dict[str, Any]):
    """A plain table that counts its writes."""

    writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def test_many_changes_between_two_flushes_are_encoded_and_written_once_the_latest() -> None:
    table = CountingWrites()
    states = DecodedTable(table, CustomerState)
    for revision in range(1, 6):
        states.put("c1", initial_state("c1").model_copy(update={"revision": revision}))
    states.put("c2", initial_state("c2"))
    assert table.writes == 0 and written(states) == 2 and table.writes == 2
    assert decode(CustomerState, table["c1"]).revision == 5 and written(states) == 0


def test_a_changed_value_stays_decoded_until_written_even_through_clear() -> None:
    table = CountingWrites()
    states = DecodedTable(table, CustomerState, size=2)
    for key in ("c0", "c1", "c2"):
        states.put(key, initial_state(key))
    assert table.writes == 0 and states.unwritten() == ["c0", "c1", "c2"]  # none dropped from the cache unwritten
    assert written(states) == 3
    states.get("c3")  # nothing stored: the oldest unchanged key leaves the cache
    states.put("c1", initial_state("c1").model_copy(update={"revision": 2}))
    # a recovery's callback, after records were applied: what they changed is newer, and its sends may be out
    assert states.clear(lambda key: True) == 0
    assert states.unwritten() == ["c1"] and states.changed() == {"c1": states.get("c1")}
    assert decode(CustomerState, table["c1"]).revision == 0 and states.get("c1").revision == 2  # type: ignore[union-attr]
    assert written(states) == 1 and decode(CustomerState, table["c1"]).revision == 2


def test_a_rebalance_drops_the_changes_of_keys_no_longer_owned_unwritten() -> None:
    """Their records' offsets are not committed: the new owner reads them again and writes the same states."""
    table = CountingWrites()
    states = DecodedTable(table, CustomerState)
    for key in ("kept", "moved"):
        states.put(key, initial_state(key))
    assert states.clear(lambda key: key == "kept") == 1
    assert states.unwritten() == ["kept"] and written(states) == 1 and "moved" not in table


def test_a_key_changed_again_after_the_changes_were_taken_stays_to_be_written() -> None:
    table = CountingWrites()
    states = DecodedTable(table, CustomerState)
    states.put("c1", initial_state("c1").model_copy(update={"revision": 1}))
    write = states.held_back()  # the flush takes the changes, then waits for the acks
    states.put("c1", initial_state("c1").model_copy(update={"revision": 2}))  # a record applied meanwhile
    write()
    assert decode(CustomerState, table["c1"]).revision == 1 and states.unwritten() == ["c1"]
    assert written(states) == 1 and decode(CustomerState, table["c1"]).revision == 2


def test_a_value_stored_in_format_1_is_read_and_written_back_in_format_3() -> None:
    earlier = initial_state("c1").model_copy(update={"revision": 4})
    table = CountingTable(c1=earlier.model_dump_json().encode())  # a changelog written before formats 2 and 3
    states = DecodedTable(table, CustomerState)
    assert states.get("c1") == earlier
    states.put("c1", earlier.model_copy(update={"revision": 5}))
    states.held_back()()
    assert table["c1"][:1] == FORMAT_3 and decode(CustomerState, table["c1"]).revision == 5


def test_newest_gives_the_stored_values_with_the_unwritten_changes_in_their_place() -> None:
    """What a recovery's callback indexes: records applied before it changed some keys, not written yet."""
    table = CountingTable({key: encode(initial_state(key)) for key in ("c1", "c2")})
    states = DecodedTable(table, CustomerState)
    changed = initial_state("c2").model_copy(update={"revision": 4})
    states.put("c2", changed)
    states.put("c3", initial_state("c3"))  # not in the table yet
    stored = (decode(CustomerState, value) for value in table.values())
    newest = list(states.newest(stored, key=lambda s: s.customer_id))
    assert [(s.customer_id, s.revision) for s in newest] == [("c1", 0), ("c2", 4), ("c3", 0)]
    assert newest[1] is changed and states.unwritten() == ["c2", "c3"]  # nothing written
