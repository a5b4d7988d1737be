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
    assert states.unwritten() == ["c1"] and states.write_dirty() == 1 and states.unwritten() == []
    assert decode(CustomerState, table["c1"]).revision == 3 and table.reads == 1
    assert states.get("nobody") is None and states.get("nobody") is None and table.reads == 2


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
    assert table.writes == 0 and states.write_dirty() == 2 and table.writes == 2
    assert decode(CustomerState, table["c1"]).revision == 5 and states.write_dirty() == 0


def test_a_changed_value_leaving_the_cache_or_cleared_is_written_first() -> None:
    table = CountingWrites()
    states = DecodedTable(table, CustomerState, size=2)
    states.put("c0", initial_state("c0").model_copy(update={"revision": 1}))
    states.put("c1", initial_state("c1"))
    states.put("c2", initial_state("c2"))  # c0 leaves the cache: written now
    assert list(table) == ["c0"] and decode(CustomerState, table["c0"]).revision == 1
    assert states.get("c0") == initial_state("c0").model_copy(update={"revision": 1})  # read back; c1 leaves
    assert list(table) == ["c0", "c1"] and states.unwritten() == ["c2"]
    states.clear()  # a recovery's callback, after records were applied: what they changed is newer
    assert states.unwritten() == [] and list(table) == ["c0", "c1", "c2"] and states.get("c2") == initial_state("c2")


def test_only_the_latest_keys_stay_decoded_and_clear_reads_the_table_again() -> None:
    table = CountingTable({f"c{i}": encode(initial_state(f"c{i}")) for i in range(3)})
    states = DecodedTable(table, CustomerState, size=2)
    for key in ("c0", "c1", "c2"):
        states.get(key)
    states.get("c2")
    assert table.reads == 3  # c2 kept
    states.get("c0")
    assert table.reads == 4  # c0 was the oldest, dropped
    table["c2"] = encode(initial_state("c2").model_copy(update={"revision": 9}))  # a recovery
    states.clear()
    assert states.get("c2") == initial_state("c2").model_copy(update={"revision": 9})


def test_a_value_stored_in_format_1_is_read_and_written_back_in_format_3() -> None:
    earlier = initial_state("c1").model_copy(update={"revision": 4})
    table = CountingTable(c1=earlier.model_dump_json().encode())  # a changelog written before formats 2 and 3
    states = DecodedTable(table, CustomerState)
    assert states.get("c1") == earlier
    states.put("c1", earlier.model_copy(update={"revision": 5}))
    states.write_dirty()
    assert table["c1"][:1] == FORMAT_3 and decode(CustomerState, table["c1"]).revision == 5
