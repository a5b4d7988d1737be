"""Event time survives a restart: each input partition's latest ``WatermarkAdvanced``, in a changelog-backed
table (``source_to_watermark``, written on the partition it describes), given back to the clock on recovery.

Without it a worker restarted after a replay's final watermark would start again at 1970 and hold every
record and timer until something new came. A watermark is written behind, as the states are
(``streams.runtime.decoded``), one flush after them: a saved watermark never runs ahead of the stored states
that hold the events before it, or a restarted worker would apply a re-read event before the earlier ones it had
held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping
from datetime import datetime
from typing import Any

from faust.streams import current_event
from faust.types import EventT

from streams.runtime.decoded import in_context_of

__all__ = ["SavedWatermarks", "Source"]

Source = tuple[str, int]
_Saved = tuple[datetime, EventT | None]  # a watermark and the record that brought it


def _key(source: Source) -> str:
    return f"{source[0]}|{source[1]}"


class SavedWatermarks:
    """Each source's latest watermark: saved in memory at once, written to the table one flush later."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self._table = table
        self._unwritten: dict[str, _Saved] = {}  # saved since the last flush
        self._next: dict[str, _Saved] = {}  # saved before the last flush: written at the next one

    def save(self, source: Source, at: datetime) -> None:
        """Inside the stream iteration of a record of ``source`` (the table writes to its partition, later)."""
        key = _key(source)
        latest = self._latest(key)
        if latest is None or latest < at:
            self._unwritten[key] = (at, current_event())

    def held_back(self) -> Callable[[], None]:
        """The function that writes, each in its record's context, the watermarks saved before the previous flush,
        and keeps those saved until now for the next one. The states written at a flush are acknowledged before
        the offsets are committed (Faust's producer flush waits for them), so a watermark reaches the table only
        after the states that hold the events before it (the order of writes in one flush does not ensure that:
        the client sends each partition's batches on its own)."""
        ready, saved = dict(self._next), dict(self._unwritten)

        def write() -> None:
            for key, entry in ready.items():
                at, event = entry
                with in_context_of(event):
                    self._table[key] = at.isoformat()
                if self._next.get(key) is entry:
                    del self._next[key]
            for key, entry in saved.items():
                self._next[key] = entry
                if self._unwritten.get(key) is entry:  # not saved again since
                    del self._unwritten[key]

        return write

    def unwritten(self) -> list[str]:
        """The sources' keys with a watermark not written yet."""
        return list({**self._next, **self._unwritten})

    def restore(self, sources: Iterable[Source]) -> list[tuple[Source, datetime]]:
        """The latest watermarks of these sources (after the table's recovery): saved here, else in the table."""
        found = ((source, self._latest(_key(source))) for source in sources)
        return [(source, at) for source, at in found if at is not None]

    def _latest(self, key: str) -> datetime | None:
        for pending in (self._unwritten, self._next):
            if key in pending:
                return pending[key][0]
        stored = self._table.get(key)
        return None if stored is None else datetime.fromisoformat(stored)
