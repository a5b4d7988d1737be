"""A table's values as models, decoded once and kept while this worker is the one writing them; written behind.

Every record used to validate its customer's (or product's) whole stored state back into pydantic, and to encode
it again into the table; the models are immutable, so the one written last is the one read next. Values are
stored in the compact form of ``streams.adapters.table_codec``.

A change is kept decoded and marked dirty; it reaches the table (the local store and the changelog) at the next
producer flush (``streams.runtime.producer_buffer``), which Faust runs before every offset commit and during a
rebalance and a stop. So a customer changed by many records between two commits is encoded and sent once, and
no input offset is committed before the states its records made are in the changelog. A dirty value is written
in the context of the record that last changed it: Faust's tables and stores take the partition from the
current event. The cache holds the most recently used keys, and every dirty one until it is written; what it
read is forgotten on every rebalance and recovery (a recovered changelog may hold what another worker wrote),
what records changed stays until written (it is newer than the table, and its sends may not be acknowledged).
"""

from __future__ import annotations

import contextlib
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any, Generic, TypeVar

from faust.streams import _current_event, current_event
from faust.types import EventT
from pydantic import BaseModel

from streams.adapters.table_codec import decode, encode

__all__ = ["DecodedTable", "in_context_of"]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@contextlib.contextmanager
def in_context_of(event: EventT | None) -> Iterator[None]:
    """Make ``event`` Faust's current event (a table write takes its partition from it) for the block."""
    if event is None:  # a plain mapping (the tests' tables) needs no partition
        yield
        return
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class DecodedTable(Generic[M]):
    """Read and write ``table`` (values in ``table_codec``'s form) as ``model`` instances, the last ``size`` keys
    kept decoded (and every changed one until it is written); a change is written by :meth:`held_back`'s writer."""

    def __init__(self, table: MutableMapping[str, Any], model: type[M], size: int = 20_000) -> None:
        self.table, self.model, self.size = table, model, size
        self._decoded: OrderedDict[str, M | None] = OrderedDict()
        self._dirty: dict[str, EventT | None] = {}  # key -> the record that last changed it

    def get(self, key: str) -> M | None:
        if key in self._decoded:
            self._decoded.move_to_end(key)
            return self._decoded[key]
        stored = self.table.get(key)
        decoded = None if stored is None else decode(self.model, stored)
        self._keep(key, decoded)
        return decoded

    def put(self, key: str, value: M) -> None:
        """Keep ``value`` as the key's latest, to be written later. Called while a record is processed; a Faust
        table checks here, on that record, that its changelog is known (PartitionsMismatch otherwise)."""
        partition_for_key = getattr(self.table, "partition_for_key", None)
        if partition_for_key is not None:
            partition_for_key(key)
        self._dirty[key] = current_event()
        self._keep(key, value)

    def unwritten(self) -> list[str]:
        """The keys changed and not written yet (some may not be in the table yet)."""
        return list(self._dirty)

    def held_back(self) -> Callable[[], None]:
        """The changes as they are now, to be written later by the function returned (once what caused them is
        acknowledged); a key changed again in between stays to be written."""
        changes = [(key, self._decoded[key], event) for key, event in self._dirty.items()]

        def write() -> None:
            for key, value, event in changes:
                assert value is not None  # put keeps a model
                with in_context_of(event):
                    self.table[key] = encode(value)
                if key in self._dirty and self._dirty[key] is event and self._decoded.get(key) is value:
                    del self._dirty[key]

        return write

    def changed(self) -> dict[str, M]:
        """The changed values not written yet, by key (newer than the table)."""
        return {key: value for key in self._dirty if (value := self._decoded[key]) is not None}

    def newest(self, stored: Iterable[R], key: Callable[[R], str]) -> Iterator[R | M]:
        """The values read from the table (``stored``, each under ``key``), those changed here and not written yet
        in place of theirs: records may be applied before a recovery's callback runs, and what they changed is
        newer than the table."""
        changed = self.changed()
        yield from (value for value in stored if key(value) not in changed)
        yield from changed.values()

    def clear(self, owns: Callable[[str], bool]) -> int:
        """Forget every decoded value read from the table (after a rebalance or a recovery). The changed ones
        stay, to be written at the next flush (records may be applied before a recovery's callback runs, and
        their sends may not be acknowledged yet), except those of keys this worker no longer ``owns``: their
        records' offsets are not committed, so the new owner reads them again, and written from here they could
        land in its partition after its own writes. Returns how many changes were dropped."""
        dropped = [key for key in self._dirty if not owns(key)]
        for key in dropped:
            del self._dirty[key]
        for key in [key for key in self._decoded if key not in self._dirty]:
            del self._decoded[key]
        return len(dropped)

    def _keep(self, key: str, value: M | None) -> None:
        self._decoded[key] = value
        self._decoded.move_to_end(key)
        if len(self._decoded) > self.size:
            unchanged = next((k for k in self._decoded if k not in self._dirty), None)
            if unchanged is not None:  # a changed key stays until it is written
                del self._decoded[unchanged]
