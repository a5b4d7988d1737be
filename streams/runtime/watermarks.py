"""Event time survives a restart: each input partition's latest ``WatermarkAdvanced``, in a changelog-backed
table (``source_to_watermark``, written on the partition it describes), given back to the clock on recovery.

Without it a worker restarted after a replay's final watermark would start again at 1970 and hold every
record and timer until something new came.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from datetime import datetime
from typing import Any

__all__ = ["SavedWatermarks", "Source"]

Source = tuple[str, int]


def _key(source: Source) -> str:
    return f"{source[0]}|{source[1]}"


class SavedWatermarks:
    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self._table = table

    def save(self, source: Source, at: datetime) -> None:
        """Inside the stream iteration of a record of ``source`` (the table writes to its partition)."""
        stored = self._table.get(_key(source))
        if stored is None or datetime.fromisoformat(stored) < at:
            self._table[_key(source)] = at.isoformat()

    def restore(self, sources: Iterable[Source]) -> list[tuple[Source, datetime]]:
        """The saved watermarks of these sources (after the table's recovery)."""
        found = ((source, self._table.get(_key(source))) for source in sources)
        return [(source, datetime.fromisoformat(stored)) for source, stored in found if stored is not None]
