"""Event time survives a restart: each input partition's latest ``WatermarkAdvanced``, in a changelog-backed
table (``source_to_watermark``, written on the partition it describes), given back to the clock on recovery.

Without it a worker restarted after a replay's final watermark would start again at 1970 and hold every
record and timer until something new came. A watermark is written behind, as the states are
(``streams.runtime.decoded``), at the same producer flush once the broker has acknowledged those states
(``streams.runtime.held_back``): a stored watermark never runs ahead of the stored states that hold the events
before it, or a restarted worker would apply a re-read event before the earlier ones it had held.
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


def _key(source: Source) -> str:
    return f"{source[0]}|{source[1]}"


class SavedWatermarks:
    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self._table = table
        self._unwritten: dict[str, tuple[datetime, EventT | None]] = {}  # key -> latest and the record that brought it

    def save(self, source: Source, at: datetime) -> None:
        """Inside the stream iteration of a record of ``source`` (the table writes to its partition, at the next
        writer of :meth:`held_back`)."""
        key = _key(source)
        latest = self._latest(key)
        if latest is None or latest < at:
            self._unwritten[key] = (at, current_event())

    def held_back(self) -> Callable[[], None]:
        """The watermarks saved and not written yet, as they are now, to be written by the function returned
        (once the states are stored), each in its record's context."""
        saved = list(self._unwritten.items())

        def write() -> None:
            for key, (at, event) in saved:
                with in_context_of(event):
                    self._table[key] = at.isoformat()
                latest = self._unwritten.get(key)
                if latest is not None and latest[0] == at and latest[1] is event:  # not saved again since
                    del self._unwritten[key]

        return write

    def unwritten(self) -> list[str]:
        """The sources' keys with a watermark not written yet."""
        return list(self._unwritten)

    def restore(self, sources: Iterable[Source]) -> list[tuple[Source, datetime]]:
        """The latest watermarks of these sources (after the table's recovery): saved here, else in the table.
        Nothing is written here: the states records changed before a recovery's callback may not be stored yet."""
        found = ((source, self._latest(_key(source))) for source in sources)
        return [(source, at) for source, at in found if at is not None]

    def _latest(self, key: str) -> datetime | None:
        if key in self._unwritten:
            return self._unwritten[key][0]
        stored = self._table.get(key)
        return None if stored is None else datetime.fromisoformat(stored)
