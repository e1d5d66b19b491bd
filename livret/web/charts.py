"""Small server-side SVG charts (RPT-1): no JavaScript, no external assets.

Each chart has a title and a description for screen readers; pages also show the numbers in a
table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    target: float | None = None,
    max_value: float | None = None,
    width: int = 640,
    height: int = 220,
) -> SafeString:
    """Vertical bars with value labels, and an optional dashed target line."""
    left, bottom, top = 36, 40, 16
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max_value or max([v for _, v in bars] + [target or 0, 1])
    step = plot_w / max(len(bars), 1)
    bar_w = max(min(step * 0.7, 48), 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" '
        'stroke="#8a94a6"/>',
    ]
    for index, (label, value) in enumerate(bars):
        h = plot_h * (value / peak) if peak else 0
        x = left + index * step + (step - bar_w) / 2
        y = top + plot_h - h
        fill = "#a61b1b" if target is not None and value < target else "#0b5cad"
        shown = f"{value:g}{unit}"
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{fill}">'
            f"<title>{escape(label)} : {escape(shown)}</title></rect>"
            f'<text x="{x + bar_w / 2:.1f}" y="{max(y - 4, 10):.1f}" font-size="11" '
            f'text-anchor="middle" fill="#1d2433">{escape(shown)}</text>'
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" font-size="11" '
            f'text-anchor="middle" fill="#4a5568">{escape(label)}</text>'
        )
    if target is not None:
        y = top + plot_h - plot_h * (target / peak)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="#8a4b00" '
            f'stroke-dasharray="6 4"/><text x="{left + 2}" y="{y - 4:.1f}" font-size="11" '
            f'fill="#8a4b00">{escape(gettext("objectif"))} {target:g}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
