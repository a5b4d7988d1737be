"""``comeback evaluate``'s figures as one self-contained HTML page: the comparison table and a lift chart."""

from __future__ import annotations

from html import escape
from pathlib import Path

from streams.tools.comeback import Evaluation

__all__ = ["render_evaluation", "write_evaluation"]

_PALETTE = ("#e15759", "#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#b07aa1", "#9c755f")
_W, _H, _PAD = 640, 380, 48


def _lift_chart(evaluation: Evaluation) -> str:
    """Cumulative gains: share of the customers who ordered again (y) found in the top share by score (x)."""
    plot_w, plot_h = _W - 2 * _PAD, _H - 2 * _PAD

    def point(x: float, y: float) -> str:
        return f"{_PAD + x * plot_w:.1f},{_H - _PAD - y * plot_h:.1f}"

    parts = [f'<svg viewBox="0 0 {_W} {_H}" role="img" aria-label="lift chart">']
    for tick in range(0, 11, 2):
        v = tick / 10
        parts.append(
            f'<line class="grid" x1="{_PAD}" x2="{_W - _PAD}" y1="{point(0, v).split(",")[1]}" '
            f'y2="{point(0, v).split(",")[1]}"/>'
        )
        parts.append(f'<text x="{_PAD - 8}" y="{point(0, v).split(",")[1]}" text-anchor="end">{v:.0%}</text>')
        parts.append(f'<text x="{point(v, 0).split(",")[0]}" y="{_H - _PAD + 16}" text-anchor="middle">{v:.0%}</text>')
    parts.append(f'<polyline class="axis" fill="none" stroke-dasharray="4 4" points="{point(0, 0)} {point(1, 1)}"/>')
    for i, result in enumerate(evaluation.results):
        steps = len(result.lift)
        points = " ".join([point(0, 0), *(point((k + 1) / steps, v) for k, v in enumerate(result.lift))])
        color = _PALETTE[i % len(_PALETTE)]
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
    parts.append(f'<text x="{_W / 2}" y="{_H - 8}" text-anchor="middle">customers targeted, best scores first</text>')
    parts.append("</svg>")
    legend = "".join(
        f'<li><span style="background:{_PALETTE[i % len(_PALETTE)]}"></span>{escape(r.name)}</li>'
        for i, r in enumerate(evaluation.results)
    )
    return "\n".join(parts) + f'<ul class="legend">{legend}</ul>'


def render_evaluation(evaluation: Evaluation) -> str:
    e = evaluation
    rows = "".join(
        f"<tr><th>{escape(r.name)}</th><td>{r.auc:.4f}</td><td>{r.rmse:.4f}</td><td>{r.predicted_orders:.1f}</td>"
        f"<td>{r.lift[0]:.1%}</td><td>{r.lift[2]:.1%}</td></tr>"
        for r in e.results
    )
    bg = e.model.bgnbd
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>comeback evaluate</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 760px; margin: 24px auto; }}
table {{ border-collapse: collapse; }} th, td {{ padding: 4px 16px 4px 0; border-bottom: 1px solid #eee; }}
td {{ text-align: right; font-variant-numeric: tabular-nums; }} th {{ text-align: left; }}
svg text {{ font: 11px system-ui, sans-serif; fill: #555; }} svg .grid {{ stroke: #eee; }}
svg .axis {{ stroke: #999; }}
ul.legend {{ list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; }}
ul.legend span {{ width: 12px; height: 12px; display: inline-block; margin-right: 6px; border-radius: 2px; }}
</style></head><body>
<h1>Who will come back</h1>
<p>Cut-off {escape(e.cutoff.isoformat())}, horizon {e.horizon_days} days: {e.buyers} buyers scored,
{e.ordered_again} ordered again ({e.ordered_again / max(e.buyers, 1):.1%}), {e.actual_orders} orders.
Model {escape(e.model.fingerprint)}: BG/NBD r={bg.r:.3f}, alpha={bg.alpha:.2f} days, a={bg.a:.3f}, b={bg.b:.3f};
calibrated model: {"yes" if e.model.calibrated else "no"}.</p>
<table><tr><th>model</th><th>AUC</th><th>RMSE</th><th>predicted orders</th><th>top 10%</th><th>top 30%</th></tr>
{rows}</table>
<h2>Lift: who ordered again, found among the best-scored</h2>
{_lift_chart(e)}
</body></html>
"""


def write_evaluation(evaluation: Evaluation, out_dir: Path) -> tuple[Path, Path]:
    """``evaluate.html`` and ``evaluate.json`` (the same figures) in ``out_dir``, created if needed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "evaluate.html", out_dir / "evaluate.json"
    html_path.write_text(render_evaluation(evaluation), encoding="utf-8")
    json_path.write_text(evaluation.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return html_path, json_path
