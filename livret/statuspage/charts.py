"""The monthly availability chart (AVL-3): server-side SVG, no JavaScript.

TD values sit close to 100 %, so the vertical axis starts just under the lowest of the values
and the target (a 0-100 scale would draw identical bars). Each bar is labelled with its month
and its value; the chart as a whole has a title for screen readers, and the page prints the
same numbers in a table next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

BAD, GOOD, PROVISIONAL, INK, MUTED, TARGET = (
    "#a61b1b",
    "#0b5cad",
    "#6b8fb8",
    "#1d2433",
    "#4a5568",
    "#8a4b00",
)


def axis_floor(values: Sequence[float], target: float | None) -> float:
    """The bottom of the axis: a whole percent under every value and the target, below 100."""
    low = min([*values, *([target] if target is not None else []), 100.0])
    return float(max(min(math.floor(low - 0.5), 99), 0))


def availability_chart(
    months: Sequence[tuple[str, float, bool]],
    *,
    target: float | None,
    title: str,
    width: int = 640,
    height: int = 220,
) -> SafeString:
    """Bars of TD per month (``(label, td, provisional)``) with the target as a dashed line;
    bars under the target are red, the provisional current month is lighter."""
    left, right, bottom, top = 44, 100, 40, 16
    plot_w, plot_h = width - left - right, height - bottom - top
    floor = axis_floor([td for _, td, _ in months], target)
    span = 100.0 - floor

    def y(value: float) -> float:
        return top + plot_h * (1 - (max(value, floor) - floor) / span)

    step = plot_w / max(len(months), 1)
    bar_w = round(max(min(step * 0.6, 56), 6))
    base = top + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<g font-size="11" text-anchor="end" fill="{MUTED}">'
        f'<text x="{left - 4}" y="{base + 4}">{floor:g} %</text>'
        f'<text x="{left - 4}" y="{top + 4}">100 %</text></g>'
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{MUTED}"/>'
        '<g font-size="11" text-anchor="middle">',
    ]
    for index, (label, td, provisional) in enumerate(months):
        x = round(left + index * step + (step - bar_w) / 2)
        middle = x + bar_w // 2
        top_y = round(y(td))
        fill = BAD if target is not None and td < target else GOOD
        if provisional and fill == GOOD:
            fill = PROVISIONAL
        shown = f"{floatformat(td, '-3')} %"
        parts.append(
            f'<rect x="{x}" y="{top_y}" width="{bar_w}" height="{base - top_y}" fill="{fill}"/>'
            f'<text x="{middle}" y="{max(top_y - 4, 10)}" fill="{INK}">{escape(shown)}</text>'
            f'<text x="{middle}" y="{base + 16}" fill="{MUTED}">'
            f"{escape(label)}{'*' if provisional else ''}</text>"
        )
    parts.append("</g>")
    if target is not None:
        ty = round(y(target))
        parts.append(
            f'<line x1="{left}" y1="{ty}" x2="{width - right}" y2="{ty}" '
            f'stroke="{TARGET}" stroke-dasharray="6 4"/><text x="{width - right + 4}" '
            f'y="{ty + 4}" font-size="11" fill="{TARGET}">'
            f"{escape(gettext('objectif'))} {floatformat(target, '-2')} %</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
