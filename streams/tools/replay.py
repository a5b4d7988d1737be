"""``comeback replay`` and ``comeback produce``: event logs sent through the pipeline with EventProducer.

Each send waits for the broker's acknowledgement, so events arrive in the order they are sent. A replay
sends in event time order (the worker runs with ``COMEBACK_CLOCK=event``) and ends with a watermark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import TextIO

from schemas.base import Envelope
from streams.config import Settings
from streams.sdk.producer import MARK_EVERY, EventProducer
from streams.tools.importer import RowProblem, parse_jsonl

__all__ = ["Progress", "WATERMARK_MARGIN", "produce", "render_bar", "replay_log"]

WATERMARK_MARGIN = timedelta(days=1)
"""A replay's final watermark is this long after its last event."""


def render_bar(done: int, total: int, rate: float, width: int = 30) -> str:
    """``[#######-------]  70/200  35.0/s``"""
    filled = width * done // total if total else width
    digits = len(str(total))
    return f"[{'#' * filled}{'-' * (width - filled)}] {done:>{digits}}/{total} {rate:8.1f}/s"


class Progress:
    """A text progress bar redrawn in place (carriage return) at most every ``interval`` seconds."""

    def __init__(self, total: int, out: TextIO, interval: float = 0.1) -> None:
        self._total, self._out, self._interval = total, out, interval
        self._done = 0
        self._started = self._drawn = time.monotonic()

    def advance(self) -> None:
        self._done += 1
        if time.monotonic() - self._drawn >= self._interval:
            self._draw()

    def finish(self) -> None:
        self._draw()
        self._out.write("\n")
        self._out.flush()

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        rate = self._done / max(self._drawn - self._started, 1e-9)
        self._out.write("\r" + render_bar(self._done, self._total, rate))
        self._out.flush()


def replay_log(settings: Settings, events: Sequence[Envelope], progress: TextIO, *, watermark: bool = True) -> None:
    """Send ``events`` (sorted by time) one acknowledged send at a time, advancing the watermark every day of
    event time and, at the end, to a day after the last one (none of that if ``watermark`` is false: more
    history may follow)."""
    with EventProducer(settings) as producer:
        bar = Progress(len(events), progress)
        producer.send_in_time_order(events, MARK_EVERY if watermark else None, sent=bar.advance)
        bar.finish()
        if watermark and events:
            producer.advance_watermark(events[-1].occurred_at + WATERMARK_MARGIN)


def produce(settings: Settings, lines: Iterable[str], report: Callable[[RowProblem], None]) -> tuple[int, int]:
    """Send each valid JSON line as it is read; ``report`` each invalid one. Returns (sent, invalid)."""
    sent = invalid = 0
    with EventProducer(settings) as producer:
        for item in parse_jsonl(lines):
            if isinstance(item, RowProblem):
                invalid += 1
                report(item)
            else:
                producer.send(item)
                sent += 1
    return sent, invalid
