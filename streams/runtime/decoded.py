"""A table's values as models, decoded once and kept while this worker is the one writing them.

Every record used to validate its customer's (or product's) whole stored state back into pydantic; the
models are immutable, so the one written last is the one read next. Values are stored in the compact form of
``streams.adapters.table_codec``. The cache holds the most recently used
keys only, and is emptied on every rebalance: a recovered changelog may hold what another worker wrote.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from streams.adapters.table_codec import decode, encode

__all__ = ["DecodedTable"]

M = TypeVar("M", bound=BaseModel)


class DecodedTable(Generic[M]):
    """Read and write ``table`` (values in ``table_codec``'s form) as ``model`` instances, the last ``size`` keys
    kept decoded."""

    def __init__(self, table: MutableMapping[str, Any], model: type[M], size: int = 20_000) -> None:
        self.table, self.model, self.size = table, model, size
        self._decoded: OrderedDict[str, M | None] = OrderedDict()

    def get(self, key: str) -> M | None:
        if key in self._decoded:
            self._decoded.move_to_end(key)
            return self._decoded[key]
        stored = self.table.get(key)
        decoded = None if stored is None else decode(self.model, stored)
        self._keep(key, decoded)
        return decoded

    def put(self, key: str, value: M) -> None:
        self.table[key] = encode(value)
        self._keep(key, value)

    def clear(self) -> None:
        self._decoded.clear()

    def _keep(self, key: str, value: M | None) -> None:
        self._decoded[key] = value
        self._decoded.move_to_end(key)
        if len(self._decoded) > self.size:
            self._decoded.popitem(last=False)
