"""Charts as inline SVG strings, from pure functions, for the HTML report (storage/report.py).

Hand-written rather than a charting library: the report must be one file that opens offline,
and the libraries that draw in the browser (Vega, Plotly, Chart.js) embed megabytes of
JavaScript, while those that draw in Python (matplotlib) would add a heavy dependency for two
bar charts. A few rectangles, no script, nothing to fetch: it renders wherever SVG does, also
printed. Every text from the archive goes through ``esc``.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

# Okabe-Ito's colour-blind-safe palette, then a few more distinct ones; the last is for "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288", "#999999")
MAX_SERIES = len(PALETTE) - 1
MAX_BARS = 120  # more bars than this are aggregated to weeks, months or years
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value: object) -> str:
    """Text for HTML or SVG: markup characters and quotes escaped, control characters (not
    allowed in HTML) dropped."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


# -- time axis ----------------------------------------------------------------------------------------

GRAINS = ("day", "week", "month", "year")


def period_start(day: date, grain: str) -> date:
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday (ISO)
    if grain == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next_period(start: date, grain: str) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    if grain == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def periods(first: date, last: date, max_bars: int = MAX_BARS) -> tuple[str, list[date]]:
    """The finest grain (day, week, month, year) that shows first..last in at most ``max_bars``
    bars, and the start of every period in it, empty ones included (a gap must show)."""
    for grain in GRAINS:
        starts, start = [], period_start(first, grain)
        while start <= last and (len(starts) <= max_bars or grain == "year"):
            starts.append(start)
            try:
                start = _next_period(start, grain)
            except (OverflowError, ValueError):  # the end of the calendar
                break
        if len(starts) <= max_bars or grain == "year":
            return grain, starts
    raise AssertionError("unreachable")


def period_label(start: date, grain: str) -> str:
    """A period by its first day (weeks: their Monday), month or year."""
    return f"{start:%Y-%m}" if grain == "month" else str(start.year) if grain == "year" else start.isoformat()


# -- scales -----------------------------------------------------------------------------------------------


def nice_ticks(top: int, count: int = 5) -> list[int]:
    """Round tick values from 0 to at least ``top`` (whole numbers: these are counts)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return list(range(0, int(math.ceil(top / step)) * step + 1, step))


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]


def top_series(series: dict[str, list[int]], keep: int = MAX_SERIES, other: str = "other") -> list[Series]:
    """The ``keep`` largest series by total, the rest summed into one named ``other``."""
    ranked = sorted(series.items(), key=lambda item: (-sum(item[1]), item[0]))
    kept = [Series(name, tuple(values)) for name, values in ranked[:keep]]
    rest = [values for _name, values in ranked[keep:]]
    if rest:
        kept.append(Series(other, tuple(sum(column) for column in zip(*rest))))
    return kept


def _colour(index: int, total: int) -> str:
    return PALETTE[-1] if index == MAX_SERIES and total > MAX_SERIES else PALETTE[index % MAX_SERIES]


def legend(series: list[Series]) -> str:
    items = "".join(f'<li><span class="swatch" style="background:{_colour(i, len(series))}"></span>{esc(s.name)}</li>'
                    for i, s in enumerate(series))
    return f'<ul class="legend">{items}</ul>'


# -- charts -------------------------------------------------------------------------------------------------


def stacked_columns(chart_id: str, labels: list[str], series: list[Series], title: str,
                    width: int = 960, height: int = 320) -> str:
    """Vertical bars, one per label, each stacked by series; one ``rect.mark`` per non-zero
    (label, series) with its count in ``data-count`` and a tooltip (``<title>``)."""
    left, right, top, bottom = 52, 12, 12, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_h / ticks[-1]
    slot = plot_w / max(1, len(labels))
    bar = slot * (0.8 if slot >= 4 else 1.0)
    parts = [f'<svg id="{esc(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">']
    for tick in ticks:
        y = top + plot_h - tick * scale
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick:,}</text>')
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        base = top + plot_h
        for j, s in enumerate(series):
            count = s.values[i]
            if not count:
                continue
            h = count * scale
            base -= h
            parts.append(f'<rect class="mark" data-count="{count}" x="{x:.2f}" y="{base:.2f}" width="{bar:.2f}" '
                         f'height="{h:.2f}" fill="{_colour(j, len(series))}"><title>{esc(s.name)}, {esc(label)}: '
                         f'{count:,}</title></rect>')
    every = max(1, math.ceil(len(labels) / 12))  # at most a dozen labels under the axis
    for i in range(0, len(labels), every):
        x = left + (i + 0.5) * slot
        parts.append(f'<text class="tick" text-anchor="end" transform="translate({x:.1f},{top + plot_h + 10}) '
                     f'rotate(-35)">{esc(labels[i])}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" class="axis"/>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_rows(chart_id: str, labels: list[str], series: list[Series], title: str, width: int = 960) -> str:
    """Horizontal bars, one row per label, stacked by series (same marks as ``stacked_columns``)."""
    row, left, right, top, bottom = 26, 220, 60, 8, 28
    height = top + bottom + row * max(1, len(labels))
    plot_w = width - left - right
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_w / ticks[-1]
    parts = [f'<svg id="{esc(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">']
    for tick in ticks:
        x = left + tick * scale
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" class="grid"/>'
                     f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="tick">{tick:,}</text>')
    for i, label in enumerate(labels):
        y = top + i * row + 4
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(f'<text x="{left - 8}" y="{y + row / 2 + 1:.1f}" text-anchor="end" class="label">'
                     f'<title>{esc(label)}</title>{esc(short)}</text>')
        start = left
        for j, s in enumerate(series):
            count = s.values[i]
            if not count:
                continue
            w = count * scale
            parts.append(f'<rect class="mark" data-count="{count}" x="{start:.2f}" y="{y:.1f}" width="{w:.2f}" '
                         f'height="{row - 8}" fill="{_colour(j, len(series))}"><title>{esc(label)}, {esc(s.name)}: '
                         f'{count:,}</title></rect>')
            start += w
        parts.append(f'<text x="{start + 6:.1f}" y="{y + row / 2 + 1:.1f}" class="tick">{totals[i]:,}</text>')
    parts.append("</svg>")
    return "".join(parts)
