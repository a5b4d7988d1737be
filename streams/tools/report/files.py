"""The report's shell: read JSON Lines inputs, write ``report.html`` and ``report.json``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from schemas.base import describe_errors
from streams.tools.report.figures import Report
from streams.tools.report.html import render_html

__all__ = ["read_jsonl", "write_report"]

T = TypeVar("T")


def read_jsonl(path: Path, parse: Callable[[str], T]) -> list[T]:
    """Every non-blank line parsed; a ValueError names the first line that does not parse."""
    items = []
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    items.append(parse(line))
                except ValidationError as exc:
                    raise ValueError(f"{path}, line {number}: {describe_errors(exc)}") from None
    return items


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.json`` (the same figures) into ``out_dir``, created if needed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "report.html", out_dir / "report.json"
    html_path.write_text(render_html(report), encoding="utf-8")
    json_path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return html_path, json_path
