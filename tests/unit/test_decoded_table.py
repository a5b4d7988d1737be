"""DecodedTable: a table's stored values read as models once, kept while this worker writes them."""

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
    assert states.get("c1") is changed and decode(CustomerState, table["c1"]).revision == 3 and table.reads == 1
    assert states.get("nobody") is None and states.get("nobody") is None and table.reads == 2


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
    assert table["c1"][:1] == FORMAT_3 and decode(CustomerState, table["c1"]).revision == 5
