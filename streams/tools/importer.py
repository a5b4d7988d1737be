"""Historical logs as input events: JSON Lines of our events, or CSV order logs with a column mapping.

Everything but ``read_events`` is pure. A malformed row is skipped and reported with its line number and
reason; rows of one order are skipped together. Event ids are derived from the file name and the order
id (or line number), so importing a file twice gives the same ids and the engine drops the repeats.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from schemas.base import Envelope, describe_errors
from schemas.events import EVENT_ADAPTER, OrderLine, OrderPlaced

__all__ = [
    "CSV_FIELDS",
    "DEFAULT_ZONE",
    "Format",
    "ImportFailed",
    "ImportResult",
    "RowProblem",
    "parse_csv",
    "parse_jsonl",
    "parse_mapping",
    "parse_time",
    "read_events",
]

Format = Literal["jsonl", "csv"]
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")

CSV_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("customer", "customer_id"),
    "at": ("at", "occurred_at"),
    "amount": ("amount",),
    "quantity": ("quantity",),
    "order": ("order", "order_id"),
    "product": ("product", "product_id"),
    "category": ("category",),
    "list_price": ("list_price",),
    "brand": ("brand",),
}
"""Our CSV fields and the header names each one is found under when ``--map`` does not name a column."""

_REQUIRED = ("customer", "at", "amount", "product", "category")
_SLASHED_DATES = ("%Y/%m/%d", "%d/%m/%Y")
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S")


class ImportFailed(Exception):
    """The file cannot be read at all (missing, not text, no header, a required column absent)."""


@dataclass(frozen=True)
class RowProblem:
    """A skipped line or row, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    """The events read, sorted by time, and the problems of the rows that were skipped."""

    events: list[Envelope]
    problems: list[RowProblem]


def parse_mapping(text: str) -> dict[str, str]:
    """``customer=cust_id,at=order_date`` -> {our field: their column}. Raises ValueError on a bad item."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        ours, sep, theirs = (s.strip() for s in item.partition("="))
        if not sep or not theirs:
            raise ValueError(f"{item!r} is not FIELD=COLUMN")
        if ours not in CSV_FIELDS:
            raise ValueError(f"unknown field {ours!r}; fields: {', '.join(CSV_FIELDS)}")
        mapping[ours] = theirs
    return mapping


def parse_time(text: str, zone: tzinfo = DEFAULT_ZONE) -> datetime:
    """An aware time from ISO 8601 (with or without zone), YYYY/MM/DD or DD/MM/YYYY (each with an optional
    HH:MM[:SS]), or unix seconds (9 or more digits; 12 or more are milliseconds). Naive times are in ``zone``."""
    text = text.strip()
    if re.fullmatch(r"\d{9,}(\.\d+)?", text):
        stamp = float(text)
        try:
            return datetime.fromtimestamp(stamp / 1000 if stamp >= 1e11 else stamp, zone)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"timestamp out of range: {text!r}") from None
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = next(
            (
                parsed
                for fmt in _SLASHED_DATES
                for suffix in _TIME_SUFFIXES
                if (parsed := _strptime(text, fmt + suffix))
            ),
            None,
        )
        if moment is None:
            raise ValueError(f"unrecognised date {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _strptime(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


def parse_jsonl(lines: Iterable[str]) -> Iterator[Envelope | RowProblem]:
    """Each non-blank line as a validated event, or the problem with it (line numbers from 1)."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                yield EVENT_ADAPTER.validate_json(line)
            except ValidationError as exc:
                yield RowProblem(number, describe_errors(exc))


@dataclass(frozen=True)
class _Row:
    """A valid CSV row: one line of an order."""

    line: int
    customer: str
    at: datetime
    amount: float
    order: str | None
    item: OrderLine


def _number(cells: Mapping[str, str], name: str) -> float | None:
    """A cell as a finite number >= 0, None when empty; raises ValueError with the reason."""
    text = cells.get(name, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{name} is not a number: {text!r}")
    if value < 0:
        raise ValueError(f"{name} is negative: {text!r}")
    return value


def _quantity(text: str) -> int:
    try:
        quantity = int(text or "1")
    except ValueError:
        quantity = 0
    if quantity < 1:
        raise ValueError(f"quantity is not a whole number >= 1: {text!r}")
    return quantity


def _row(line: int, cells: Mapping[str, str], zone: tzinfo) -> _Row:
    """One CSV row (our field -> stripped cell) as an order line; raises ValueError with the reason."""
    missing = [name for name in _REQUIRED if not cells.get(name)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    quantity = _quantity(cells.get("quantity", ""))
    amount = _number(cells, "amount") or 0.0
    at = parse_time(cells["at"], zone)
    try:
        item = OrderLine(
            product_id=cells["product"],
            category=cells["category"],
            brand=cells.get("brand") or None,
            unit_price=amount / quantity,
            list_price=_number(cells, "list_price"),
            quantity=quantity,
        )
    except ValidationError as exc:
        raise ValueError(describe_errors(exc)) from None
    return _Row(line, cells["customer"], at, amount, cells.get("order") or None, item)


def _derived_id(source: str, key: str) -> str:
    """The same id for the same file name and key, on every import."""
    return "imp-" + hashlib.sha256(f"{source}\0{key}".encode()).hexdigest()[:32]


def _order(source: str, rows: list[_Row]) -> OrderPlaced:
    """One order from its rows (at the earliest row's time); raises ValueError with the reason."""
    first = rows[0]
    if any(row.customer != first.customer for row in rows):
        raise ValueError(f"order {first.order!r} has rows of several customers")
    event_id = _derived_id(source, f"order:{first.order}" if first.order else f"line:{first.line}")
    try:
        return OrderPlaced(
            event_id=event_id,
            customer_id=first.customer,
            order_id=first.order or event_id,
            occurred_at=min(row.at for row in rows),
            lines=tuple(row.item for row in rows),
            total=round(sum(row.amount for row in rows), 2),
        )
    except ValidationError as exc:
        raise ValueError(describe_errors(exc)) from None


def _columns(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """Our field -> column index; raises ImportFailed when a mapped or required column is absent."""
    names = [name.strip() for name in header]
    columns: dict[str, int] = {}
    for ours, defaults in CSV_FIELDS.items():
        wanted = (mapping[ours],) if ours in mapping else defaults
        found = next((names.index(name) for name in wanted if name in names), None)
        if found is not None:
            columns[ours] = found
        elif ours in mapping or ours in _REQUIRED:
            raise ImportFailed(
                f"no column {' or '.join(map(repr, wanted))} for {ours} in the header: {', '.join(names)}"
            )
    return columns


def _records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV records with the line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(lines)
    line = 1
    for cells in reader:
        if cells:
            yield line, cells
        line = reader.line_num + 1


def parse_csv(
    lines: Iterable[str], source: str, mapping: Mapping[str, str] | None = None, zone: tzinfo = DEFAULT_ZONE
) -> ImportResult:
    """OrderPlaced events from a CSV order log (header first), sorted by time; ``source`` names the file.

    Rows with the same order id make one order; a row without one is an order by itself. When a row of an
    order is malformed, the whole order is skipped."""
    records = _records(lines)
    _, header = next(records, (0, []))
    if not header:
        raise ImportFailed("no header line")
    columns = _columns(header, mapping or {})
    groups: dict[str | int, list[_Row]] = {}  # by order id, or line for a row without one
    broken: dict[str | int, int] = {}  # order id -> line of its first malformed row
    problems: list[RowProblem] = []
    for line, cells in records:
        fields = {ours: cells[index].strip() for ours, index in columns.items() if index < len(cells)}
        try:
            if len(cells) != len(header):
                raise ValueError(f"{len(cells)} cells, the header has {len(header)}")
            row = _row(line, fields, zone)
        except ValueError as exc:
            problems.append(RowProblem(line, str(exc)))
            if fields.get("order"):
                broken.setdefault(fields["order"], line)
            continue
        groups.setdefault(row.order or line, []).append(row)
    events: list[Envelope] = []
    for key, rows in groups.items():
        try:
            if key in broken:
                raise ValueError(f"order {key!r} skipped: line {broken[key]} is malformed")
            events.append(_order(source, rows))
        except ValueError as exc:
            problems.extend(RowProblem(row.line, str(exc)) for row in rows)
    return ImportResult(sorted(events, key=lambda e: e.occurred_at), sorted(problems, key=lambda p: p.line))


def read_events(
    path: Path | str, fmt: Format | None = None, mapping: Mapping[str, str] | None = None, zone: tzinfo = DEFAULT_ZONE
) -> ImportResult:
    """Events of a JSON Lines or CSV file (by ``fmt``, else by its suffix), sorted by time.

    Raises ImportFailed when the file cannot be read at all."""
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            if fmt == "csv":
                return parse_csv(file, path.name, mapping, zone)
            parsed = list(parse_jsonl(file))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed(f"cannot read {path}: {exc}") from exc
    events = [item for item in parsed if isinstance(item, Envelope)]
    problems = [item for item in parsed if isinstance(item, RowProblem)]
    return ImportResult(sorted(events, key=lambda e: e.occurred_at), problems)
