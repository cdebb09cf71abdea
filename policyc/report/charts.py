"""Charts as inline SVG, drawn in Python: no chart library, no script, nothing fetched.

SVG is drawn by the browser from the page itself, prints sharply and needs no JavaScript
(which keeps the page usable when scripts are off and easy to test). Each chart is one
`<svg class="chart">` with a `<title>` and a text label on every bar or cell, so the
numbers can be read (and selected) without hovering.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from policyc.runtime.values import show

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
W, ROW_H, LABEL_W = 640, 22, 180


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}>{escape(text)}</text>'


def _clip(label: str, n: int = 22) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def histogram(title: str, values: Sequence[Decimal], bins: int = 10) -> str:
    """Counts of `values` in equal-width bins from the lowest to the highest."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    n = bins if hi > lo else 1
    step = (hi - lo) / n if hi > lo else Decimal(1)
    edges = [lo + step * i for i in range(n)] + [hi if hi > lo else lo + 1]
    counts = [0] * n
    for v in values:
        counts[min(int((v - lo) / step), n - 1)] += 1
    top = max(counts) or 1
    h, base = 220, 190
    bw = (W - 60) / len(counts)
    body = [f'<line x1="40" y1="{base}" x2="{W - 10}" y2="{base}" class="axis"/>']
    for i, c in enumerate(counts):
        bh = (base - 20) * c / top
        x = 40 + i * bw
        label = f"{_num(edges[i])}–{_num(edges[i + 1])}"
        body.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{base - bh:.1f}" width="{bw - 4:.1f}" '
            f'height="{bh:.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: {c}</title></rect>'
        )
        body.append(_text(x + bw / 2, base - bh - 4, str(c), "middle", "val"))
        body.append(_text(x + bw / 2, base + 14, _num(edges[i]), "middle", "tick"))
    body.append(_text(W - 10, base + 14, _num(edges[-1]), "end", "tick"))
    return _svg(W, h, title, body)


def _num(d: Decimal) -> str:
    return show(d.quantize(Decimal("0.1")) if d != d.to_integral_value() else d)


def stacked(
    title: str, groups: Sequence[str], series: Sequence[str], counts: dict[tuple[str, str], int]
) -> str:
    """One horizontal bar per group, split by series (e.g. each action's count per role)."""
    if not groups or not series:
        return ""
    totals = {g: sum(counts.get((g, s), 0) for s in series) for g in groups}
    top = max(totals.values()) or 1
    legend_h = 18 * ((len(series) + 3) // 4)
    h = legend_h + 10 + ROW_H * len(groups) + 10
    body = []
    for i, s in enumerate(series):
        x, y = 10 + (i % 4) * 155, 14 + 18 * (i // 4)
        body.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{PALETTE[i % 10]}"/>')
        body.append(_text(x + 16, y, _clip(s, 20), cls="legend"))
    span = W - LABEL_W - 50
    for j, g in enumerate(groups):
        y = legend_h + 10 + j * ROW_H
        body.append(_text(LABEL_W - 6, y + 15, _clip(g), "end", "tick"))
        at = float(LABEL_W)
        for i, s in enumerate(series):
            c = counts.get((g, s), 0)
            if not c:
                continue
            bw = span * c / top
            body.append(
                f'<rect class="bar" x="{at:.1f}" y="{y + 3}" width="{bw:.1f}" height="{ROW_H - 6}" '
                f'fill="{PALETTE[i % 10]}"><title>{escape(g)} · {escape(s)}: {c}</title></rect>'
            )
            if bw > 18:
                body.append(_text(at + bw / 2, y + 15, str(c), "middle", "inbar"))
            at += bw
        body.append(_text(at + 4, y + 15, str(totals[g]), cls="val"))
    return _svg(W, h, title, body)


def bars(title: str, items: Sequence[tuple[str, Decimal]], signed: bool = False) -> str:
    """One horizontal bar per item (e.g. the pay total per department); with `signed`,
    negative values go left of a zero line (a payroll change)."""
    if not items:
        return ""
    top = max(abs(v) for _, v in items) or Decimal(1)
    h = ROW_H * len(items) + 20
    span = W - LABEL_W - 110
    zero = LABEL_W + (span / 2 if signed and any(v < 0 for _, v in items) else 0)
    half = span / 2 if zero != LABEL_W else span
    body = [f'<line x1="{zero:.1f}" y1="4" x2="{zero:.1f}" y2="{h - 10}" class="axis"/>']
    for j, (label, v) in enumerate(items):
        y = 6 + j * ROW_H
        bw = float(abs(v) / top) * half
        x = zero - bw if v < 0 else zero
        color = PALETTE[3] if v < 0 else PALETTE[0] if not signed else PALETTE[2]
        body.append(_text(LABEL_W - 6, y + 15, _clip(label), "end", "tick"))
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{max(bw, 1):.1f}" height="{ROW_H - 6}" '
            f'fill="{color}"><title>{escape(label)}: {escape(show(v))}</title></rect>'
        )
        text = ("+" if signed and v > 0 else "") + show(v)
        body.append(_text(max(x + bw, zero) + 4, y + 15, text, cls="val"))
    return _svg(W, h, title, body)


def heatmap(
    title: str, rows: Sequence[str], cols: Sequence[str], counts: dict[tuple[str, str], int]
) -> str:
    """A transition matrix: OLD values down, NEW values across, each cell shaded by its
    count (the diagonal, unchanged, in grey)."""
    if not rows or not cols:
        return ""
    cell = max(34, min(70, (W - LABEL_W) // max(1, len(cols))))
    top_h = 90
    w = LABEL_W + cell * len(cols) + 10
    h = top_h + cell * len(rows) + 10
    peak = max((c for (a, b), c in counts.items() if a != b), default=0) or 1
    body = []
    for i, c in enumerate(cols):
        x = LABEL_W + i * cell + cell / 2
        body.append(
            f'<text class="tick" transform="translate({x:.1f},{top_h - 6}) rotate(-40)">{escape(_clip(c, 14))}</text>'
        )
    for j, r in enumerate(rows):
        y = top_h + j * cell
        body.append(_text(LABEL_W - 6, y + cell / 2 + 4, _clip(r), "end", "tick"))
        for i, c in enumerate(cols):
            n = counts.get((r, c), 0)
            x = LABEL_W + i * cell
            if r == c:
                fill = "#e8e8e8" if n else "#fafafa"
            else:
                a = 0.12 + 0.88 * n / peak if n else 0
                fill = f"rgba(225,87,89,{a:.2f})" if n else "#fafafa"
            body.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                f"<title>{escape(r)} → {escape(c)}: {n}</title></rect>"
            )
            if n:
                body.append(_text(x + cell / 2 - 1, y + cell / 2 + 4, str(n), "middle", "val"))
    return _svg(w, h, title, body)
