"""The contact section of the HTML page: decisions by outcome, and the uplift table (the screen's cells)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from streams.tools.report.contact import ContactSection
from streams.tools.report.summary import OUTCOME_HEADERS, UPLIFT_HEADERS, outcome_rows, uplift_row

__all__ = ["render_contact"]

_METHODS = (
    "Per trigger type, customers sent at least one trigger of the type against customers held out (the control "
    "group) and never sent one. An order counts for a customer when it comes within the type's attribution days "
    "after one of their decisions (not at the same moment), each order once; only decisions whose window closed "
    "by the log's last event are used. Conversion: the share of customers with such an order; its uplift has "
    "Newcombe's hybrid score interval (95%). Orders per customer: the difference of means with a Wald interval "
    "on Welch's standard error (95%). Customers needed: per group, to detect the observed conversion uplift "
    "(two proportions, two-sided alpha 0.05, power 0.8)."
)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        f"<tr><th>{escape(row[0])}</th>" + "".join(f"<td>{escape(cell)}</td>" for cell in row[1:]) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def render_contact(section: ContactSection) -> str:
    decisions = (
        f"<section><h2>Contact decisions</h2><p>{section.decisions:,} decision records about "
        f"{section.triggers:,} triggers, by outcome.</p>{_table(OUTCOME_HEADERS, outcome_rows(section))}</section>"
    )
    if section.uplift:
        table = _table(UPLIFT_HEADERS, [uplift_row(u) for u in section.uplift])
    else:
        table = "<p>No customer was sent or held out a trigger whose window closed.</p>"
    uplift = f"<section><h2>Uplift: sent against held out</h2><p>{escape(_METHODS)}</p>{table}</section>"
    return decisions + uplift
