"""The report as text for the screen: the totals and the contact section, as fixed-width tables.

The cells are shared with the HTML page (``contact_html``): the same numbers, formatted the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from streams.engine.uplift import Interval, TypeUplift
from streams.tools.report.contact import OUTCOMES, ContactSection
from streams.tools.report.figures import Report

__all__ = ["OUTCOME_HEADERS", "UPLIFT_HEADERS", "format_contact", "format_summary", "outcome_rows", "uplift_row"]

OUTCOME_HEADERS = ("type", *(o.replace("_", " ") for o in OUTCOMES))
UPLIFT_HEADERS = (
    "type",
    "customers sent",
    "customers held out",
    "conv. sent",
    "conv. held out",
    "rev./cust. sent",
    "rev./cust. held out",
    "conversion uplift (95% CI)",
    "orders/cust. uplift (95% CI)",
    "customers needed",
)
_NONE = "n/a"


def _rate(value: float | None) -> str:
    return _NONE if value is None else f"{value:.1%}"


def _money(value: float | None) -> str:
    return _NONE if value is None else f"{value:,.2f}"


def _points(interval: Interval | None) -> str:
    """A difference of shares in percentage points."""
    if interval is None:
        return _NONE
    return f"{interval.estimate * 100:+.1f} pts [{interval.low * 100:+.1f}, {interval.high * 100:+.1f}]"


def _orders(interval: Interval | None) -> str:
    if interval is None:
        return _NONE
    return f"{interval.estimate:+.3f} [{interval.low:+.3f}, {interval.high:+.3f}]"


def outcome_rows(section: ContactSection) -> list[tuple[str, ...]]:
    """One row for all types, then one per type with a record."""
    rows = [("all", *(f"{section.outcomes[o]:,}" for o in OUTCOMES))]
    rows.extend((t, *(f"{counts[o]:,}" for o in OUTCOMES)) for t, counts in section.by_type.items())
    return rows


def uplift_row(u: TypeUplift) -> tuple[str, ...]:
    return (
        u.type,
        f"{u.treated.customers:,}",
        f"{u.control.customers:,}",
        _rate(u.treated.conversion_rate),
        _rate(u.control.conversion_rate),
        _money(u.treated.revenue_per_customer),
        _money(u.control.revenue_per_customer),
        _points(u.conversion_uplift),
        _orders(u.orders_uplift),
        _NONE if u.customers_needed is None else f"{u.customers_needed:,}",
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in (headers, *rows)) for i in range(len(headers))]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def format_contact(section: ContactSection) -> str:
    parts = [f"Contact decisions: {section.decisions:,} records about {section.triggers:,} triggers"]
    parts.append(_table(OUTCOME_HEADERS, outcome_rows(section)))
    closed = (
        "" if section.windows_closed_by is None else f", windows closed by {section.windows_closed_by:%Y-%m-%d %H:%M}"
    )
    parts.append(f"\nUplift, customers sent a trigger against those held out{closed}:")
    if section.uplift:
        parts.append(_table(UPLIFT_HEADERS, [uplift_row(u) for u in section.uplift]))
        parts.append(
            "Conversion: Newcombe hybrid score interval; orders per customer: Wald (Welch standard error); "
            "customers needed per group: two proportions, two-sided alpha 0.05, power 0.8."
        )
    else:
        parts.append("no customer sent or held out a trigger with a closed window")
    return "\n".join(parts)


def format_summary(report: Report) -> str:
    """What ``comeback report`` prints: the period, the totals in one line, the contact section."""
    t = report.totals
    head = (
        f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d} ({report.zone}): {report.events:,} events, "
        f"{t.customers:,} customers, {t.orders:,} orders, revenue {t.revenue:,.2f}, {t.triggers:,} triggers"
    )
    return head + "\n\n" + format_contact(report.contact)
