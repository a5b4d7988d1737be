"""A ``Report`` as one self-contained HTML page: inline SVG charts, a totals table, the contact section's tables,
the figures as JSON."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from streams.tools.report.contact_html import render_contact
from streams.tools.report.figures import LIFECYCLES, TIERS, TRIGGER_TYPES, Report

__all__ = ["render_html"]

_W, _H = 960, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 14, 40
_PLOT_W, _PLOT_H = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#79706e",
    "#2f4b7c",
    "#bcbd22",
)
_LIFECYCLE_COLORS = dict(
    zip(LIFECYCLES, ("#b8bfc9", "#5aa5e6", "#2ca25f", "#f2c94c", "#f2994a", "#e0533d", "#8c2d3a"), strict=True)
)
_TIER_COLORS = dict(zip(TIERS, ("#b8bfc9", "#6baed6", "#8e6bbf", "#d4a017"), strict=True))
_TRIGGER_COLORS = dict(zip(TRIGGER_TYPES, _PALETTE, strict=False))

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0;
       background: #f6f7f9; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
.meta { color: #555; margin: 0 0 20px; }
figure, section { background: #fff; border: 1px solid #e2e5e9; border-radius: 8px; margin: 0 0 20px;
                  padding: 16px 18px 10px; }
figcaption h2, section h2 { font-size: 17px; margin: 0; }
figcaption p { color: #555; margin: 2px 0 8px; }
svg { display: block; width: 100%; height: auto; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #555; }
svg .grid { stroke: #e8eaed; }
svg .axis { stroke: #888; }
svg .value { fill: #222; font-weight: 600; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; margin: 6px 0; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
ul.legend span { width: 12px; height: 12px; border-radius: 2px; display: inline-block; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; padding: 5px 16px 5px 0; border-bottom: 1px solid #eef0f2; }
td { text-align: right; font-variant-numeric: tabular-nums; }
section { overflow-x: auto; }
section p { color: #555; margin: 2px 0 8px; }
"""


@dataclass(frozen=True)
class _Series:
    name: str
    color: str
    values: tuple[float | None, ...]


def _ticks(top: float) -> list[float]:
    """About five whole, round steps from 0 to at least ``top`` (the charts count customers and triggers)."""
    raw = max(top, 1) / 5
    magnitude = max(10 ** math.floor(math.log10(raw)), 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(max(math.ceil(top / step), 1) + 1)]


def _y(value: float, top: float) -> float:
    return _TOP + _PLOT_H - value / top * _PLOT_H


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _frame(ticks: Sequence[float], label: str, fmt: Callable[[float], str] = _count) -> list[str]:
    """Horizontal grid lines with their values, the y-axis label and the x axis."""
    top = ticks[-1]
    parts = [
        f'<text x="14" y="{_TOP + _PLOT_H / 2:.1f}" transform="rotate(-90 14 {_TOP + _PLOT_H / 2:.1f})" '
        f'text-anchor="middle">{escape(label)}</text>'
    ]
    for tick in ticks:
        y = _y(tick, top)
        parts.append(f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt(tick)}</text>')
    parts.append(f'<line class="axis" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_TOP + _PLOT_H}" y2="{_TOP + _PLOT_H}"/>')
    return parts


def _week_labels(starts: Sequence[datetime]) -> list[str]:
    """Every few week starts, so that labels do not overlap; the year under the first and where it changes."""
    every = max(1, math.ceil(len(starts) * 56 / _PLOT_W))
    labels, year = [], None
    for i, start in enumerate(starts):
        if i % every:
            labels.append("")
            continue
        labels.append(start.strftime("%b %d" if start.year == year else "%b %d\n%Y"))
        year = start.year
    return labels


def _x_labels(labels: Sequence[str]) -> list[str]:
    band = _PLOT_W / len(labels)
    parts = []
    for i, label in enumerate(labels):
        x = _LEFT + (i + 0.5) * band
        for row, line in enumerate(label.splitlines()):
            y = _TOP + _PLOT_H + 16 + 13 * row
            parts.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle">{escape(line)}</text>')
    return parts


def _svg(title: str, parts: Sequence[str]) -> str:
    return (
        f'<svg viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def _stacked_bars(title: str, starts: Sequence[datetime], series: Sequence[_Series], y_label: str) -> str:
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(starts))]
    ticks = _ticks(max(totals, default=0))
    band = _PLOT_W / len(starts)
    width = min(band * 0.8, 48)
    parts = _frame(ticks, y_label)
    for i, start in enumerate(starts):
        x, base = _LEFT + (i + 0.5) * band - width / 2, 0.0
        for s in series:
            value = s.values[i] or 0
            if value:
                y0, y1 = _y(base, ticks[-1]), _y(base + value, ticks[-1])
                tip = f"week of {start:%Y-%m-%d}: {s.name} {_count(value)}"
                parts.append(
                    f'<rect x="{x:.1f}" y="{y1:.1f}" width="{width:.1f}" height="{y0 - y1:.1f}" '
                    f'fill="{s.color}"><title>{escape(tip)}</title></rect>'
                )
                base += value
    return _svg(title, parts + _x_labels(_week_labels(starts)))


def _lines(
    title: str, starts: Sequence[datetime], series: Sequence[_Series], y_label: str, percent: bool = False
) -> str:
    present = [v for s in series for v in s.values if v is not None]
    ticks = [i / 5 for i in range(6)] if percent else _ticks(max(present, default=0))
    band = _PLOT_W / len(starts)
    parts = _frame(ticks, y_label, _percent if percent else _count)
    for s in series:
        points = [
            (_LEFT + (i + 0.5) * band, _y(v, ticks[-1]), start, v)
            for i, (start, v) in enumerate(zip(starts, s.values, strict=True))
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _, _) in enumerate(points))
            parts.append(f'<path d="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for x, y, start, v in points:
            tip = f"week of {start:%Y-%m-%d}: {s.name} {_percent(v) if percent else _count(v)}"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3 if len(points) > 20 else 4}" fill="{s.color}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    return _svg(title, parts + _x_labels(_week_labels(starts)))


def _bars(title: str, values: Mapping[Any, int], colors: Mapping[Any, str], y_label: str) -> str:
    ticks = _ticks(max(values.values(), default=0) * 1.08)  # room for the value labels
    band = _PLOT_W / len(values)
    width = min(band * 0.6, 120)
    parts = _frame(ticks, y_label)
    for i, (name, value) in enumerate(values.items()):
        x, y = _LEFT + (i + 0.5) * band, _y(value, ticks[-1])
        parts.append(
            f'<rect x="{x - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" height="{_TOP + _PLOT_H - y:.1f}" '
            f'fill="{colors[name]}"><title>{escape(f"{name}: {value}")}</title></rect>'
        )
        parts.append(f'<text class="value" x="{x:.1f}" y="{y - 5:.1f}" text-anchor="middle">{value:,}</text>')
    return _svg(title, parts + _x_labels(list(values)))


def _legend(series: Sequence[_Series]) -> str:
    items = "".join(f'<li><span style="background:{s.color}"></span>{escape(s.name)}</li>' for s in series)
    return f'<ul class="legend">{items}</ul>'


def _figure(title: str, note: str, chart: str, series: Sequence[_Series] = ()) -> str:
    legend = _legend(series) if series else ""
    return f"<figure><figcaption><h2>{escape(title)}</h2><p>{escape(note)}</p></figcaption>{legend}{chart}</figure>"


def _totals_table(report: Report) -> str:
    totals = report.totals
    rate = "n/a" if totals.repurchase_rate is None else f"{totals.repurchase_rate:.1%}"
    rows = (
        ("Events", f"{report.events:,}"),
        ("Customers", f"{totals.customers:,}"),
        ("Customers with an order", f"{totals.buyers:,}"),
        ("Customers with 2+ orders", f"{totals.repeat_buyers:,}"),
        ("Repurchase rate", rate),
        ("Orders (not cancelled)", f"{totals.orders:,}"),
        ("Revenue (net of refunds)", f"{totals.revenue:,.2f}"),
        ("Triggers", f"{totals.triggers:,}"),
        ("Triggers due outside the weeks", f"{totals.triggers_outside:,}"),
    )
    body = "".join(f"<tr><th>{escape(name)}</th><td>{value}</td></tr>" for name, value in rows)
    return f"<section><h2>Totals</h2><table>{body}</table></section>"


def _charts(report: Report) -> list[str]:
    weeks, starts = report.weeks, [w.start for w in report.weeks]
    lifecycle = [_Series(s, _LIFECYCLE_COLORS[s], tuple(w.lifecycle[s] for w in weeks)) for s in LIFECYCLES]
    names = sorted({name for w in weeks for name in w.segments})
    segments = [
        _Series(n, _PALETTE[i % len(_PALETTE)], tuple(w.segments.get(n, 0) for w in weeks)) for i, n in enumerate(names)
    ]
    fired = [t for t in TRIGGER_TYPES if any(w.triggers[t] for w in weeks)]
    triggers = [_Series(t, _TRIGGER_COLORS[t], tuple(w.triggers[t] for w in weeks)) for t in fired]
    rate = [_Series("repurchase rate", "#4e79a7", tuple(w.repurchase_rate for w in weeks))]
    overall = "n/a" if report.totals.repurchase_rate is None else f"{report.totals.repurchase_rate:.1%}"
    end_tiers = weeks[-1].tiers
    return [
        _figure(
            "Customers by lifecycle stage",
            "At each week's end, by days since the last order.",
            _stacked_bars("Customers by lifecycle stage", starts, lifecycle, "customers"),
            lifecycle,
        ),
        _figure(
            "Customers by segment",
            "At each week's end. A customer can be in several segments or in none, so the lines are not stacked.",
            _lines("Customers by segment", starts, segments, "customers"),
            segments,
        ),
        _figure(
            "Triggers per week",
            "By the week they were due in, stacked by type.",
            _stacked_bars("Triggers per week", starts, triggers, "triggers"),
            triggers,
        ),
        _figure(
            "Repurchase rate",
            f"Share of the customers with an order who have two or more, at each week's end. "
            f"Over the whole period: {overall}.",
            _lines("Repurchase rate", starts, rate, "repurchase rate", True),
        ),
        _figure(
            "Customers by tier at the end",
            f"At {report.end:%Y-%m-%d %H:%M} ({report.zone}).",
            _bars("Customers by tier at the end", end_tiers, _TIER_COLORS, "customers"),
        ),
    ]


def render_html(report: Report) -> str:
    """The whole page; the figures are also embedded as JSON in ``<script id="figures">``."""
    figures = report.model_dump_json().replace("<", "\\u003c")
    weeks = f"{len(report.weeks)} week{'s' if len(report.weeks) > 1 else ''}"
    period = f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d} ({weeks} from Monday 00:00 {report.zone})"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>comeback report {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}</title><style>{_CSS}</style></head>"
        f'<body><main><h1>Customer retention report</h1><p class="meta">{escape(period)}; '
        f"policy {escape(report.policy_version)}</p>"
        + _totals_table(report)
        + render_contact(report.contact)
        + "".join(_charts(report))
        + f'</main><script type="application/json" id="figures">{figures}</script></body></html>\n'
    )
