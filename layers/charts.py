"""Charts for area profiles, comparison pages and board packs, drawn with matplotlib's object API.

Every function builds a :class:`matplotlib.figure.Figure` (never pyplot: nothing global, so requests
may draw in several threads at once) and :func:`render` turns it into SVG or PNG. The charts are for
board members, printed in greyscale and read by colour-blind readers: a comparison is shown by marker
shape or bar hatching as well as colour, and better, similar and worse differ in lightness as well
as hue. Text from data is never read as mathtext or TeX, so ``$`` and ``_`` print as they are.

Pure: no Flask, no storage.
"""
from __future__ import annotations

import io
import math
import re
import secrets
import textwrap
import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from layers.classify import NO_DATA
from layers.intervals import polarity_of

FORMATS = ("svg", "png")
DPI = 150
INK = "#1a1a1a"
MUTED = "#595959"


@dataclass(frozen=True)
class Style:
    """How one comparison is drawn: colour, marker shape, bar hatching, and its words."""

    colour: str
    marker: str
    hatch: str
    words: str


#: Comparison styles. Lightness (greyscale): better and higher dark, worse mid and hatched,
#: similar and lower light, not compared white with crosses; shapes: ▲ above, ▼ below, ● similar.
STYLES = {
    "better": Style("#08519c", "^", "", "Better than {}"),
    "similar": Style("#fde28b", "o", "", "Similar to {}"),
    "worse": Style("#d95f02", "v", "////", "Worse than {}"),
    "higher": Style("#542788", "^", "", "Higher than {}"),
    "lower": Style("#b2abd2", "v", "....", "Lower than {}"),
    "not compared": Style("#ffffff", "D", "xx", "Not compared"),
}

_SVG_LOCK = threading.Lock()


def render(fig: Figure, fmt: str) -> bytes:
    """The figure as SVG (text kept as text) or PNG at 150 dpi.

    The figure is left as it was, so it can be rendered again in the other format; with no pyplot
    involved, nothing else holds it and it is freed with its last reference.

    >>> render(_figure(1, 1), "png")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    >>> render(_figure(1, 1), "pdf")
    Traceback (most recent call last):
    ...
    ValueError: Charts are rendered as svg or png, not 'pdf'.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Charts are rendered as svg or png, not {fmt!r}.")
    out = io.BytesIO()
    if fmt == "png":
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    else:
        # svg.fonttype is read from the global rcParams while drawing: set it, under a lock, only here.
        with _SVG_LOCK, mpl.rc_context({"svg.fonttype": "none"}):
            fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def format_value(value, unit: str = "", factor: float = 1.0, digits: int | None = None) -> str:
    """A figure as a chart shows it: ``value × factor`` with ``digits`` decimals (by default as
    :func:`decimals` chooses), a true minus sign, and its unit. (Charts put units other than "%"
    on the axis or after the label, not after every figure.)

    >>> format_value(0.2345, "%", 100), format_value(1234.5, "per 100,000"), format_value(3.0)
    ('23.5%', '1,235 per 100,000', '3')
    >>> format_value(19, digits=1), format_value(-0.8, "%"), format_value(None)
    ('19.0', '−0.8%', 'no data')
    """
    number = _number(value)
    if number is None:
        return "no data"
    shown = number * factor
    digits = decimals([shown], unit) if digits is None else digits
    # Round half up, as published statistics do, after clearing binary noise (0.2345 × 100 = 23.4499…).
    rounded = Decimal(f"{shown:.12g}").quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    rounded = abs(rounded) if rounded.is_zero() else rounded
    text = f"{rounded:,.{digits}f}".replace("-", "\N{MINUS SIGN}")
    return text + ("%" if unit == "%" else f" {unit}" if unit else "")


def decimals(values, unit: str = "") -> int:
    """Decimals to show a set of figures alike: 1 for percentages, none for whole numbers,
    otherwise by the largest: 0 from 100, 1 from 10, 2 from 1, else 3.

    >>> decimals([19, 21.3]), decimals([3, 7]), decimals([1234.5, 5.2]), decimals([0.042]), decimals([4], "%")
    (1, 0, 0, 3, 1)
    """
    numbers = [n for n in map(_number, values) if n is not None]
    if unit == "%":
        return 1
    if not numbers or all(n == round(n) for n in numbers):
        return 0
    largest = max(abs(n) for n in numbers)
    return 0 if largest >= 100 else 1 if largest >= 10 else 2 if largest >= 1 else 3


# ------------------------------------------------------------------------------------ spine chart

def spine_scale(row: dict) -> dict | None:
    """Where a spine-chart row's marks fall on 0–1: worse on the left, the benchmark at 0.5.

    As in Fingertips, both sides share one scale, the larger distance from the benchmark (to the
    range's ends or the area's value), so the longer side reaches its end. Without a judgement
    (``no_judgement``) low values are on the left. None when the benchmark or range is missing.

    >>> s = spine_scale({"value": 30, "benchmark": 20, "minimum": 10, "q25": 15, "q75": 25,
    ...                  "maximum": 40, "polarity": "low_is_good"})
    >>> s["value"], s["worst"], s["best"], s["q"]
    (0.25, 0.0, 0.75, (0.375, 0.625))
    """
    bench, low, high = (_number(row.get(k)) for k in ("benchmark", "minimum", "maximum"))
    if bench is None or low is None or high is None:
        return None
    value = _number(row.get("value"))
    half = max(abs(bench - low), abs(high - bench), abs(value - bench) if value is not None else 0.0)
    sign = -1.0 if polarity_of(row.get("polarity") or "no_judgement") == "low_is_good" else 1.0

    def at(x):
        return None if x is None else 0.5 + sign * 0.5 * (x - bench) / half if half else 0.5

    q = [at(_number(row.get(k))) for k in ("q25", "q75")]
    return {"value": at(value), "worst": min(at(low), at(high)), "best": max(at(low), at(high)),
            "q": None if None in q else tuple(sorted(q))}


ROW_H, LABEL_X, AREA_X, BENCH_X, SPINE_X0, SPINE_X1, SPINE_W = 0.44, 0.2, 4.85, 5.85, 6.15, 9.75, 10.0
RANGE, MIDDLE = "#dedede", "#a6a6a6"


def spine_chart(rows, *, title=None, area_label="Area", benchmark_label="Borough",
                comparator_label="areas") -> Figure:
    """A Fingertips-style spine chart: one row per indicator, the area against the benchmark.

    Each row (a dict) has ``label``; ``value`` (the area's), ``benchmark``, and the comparator areas'
    ``minimum``, ``q25``, ``q75`` and ``maximum``, all raw (as stored, not oriented); ``polarity``
    (``high_is_good``, ``low_is_good``, ``no_judgement`` or the catalogue's words); ``comparison``
    (from :func:`layers.intervals.compare`; default "not compared"); optionally ``unit`` ("%" is
    printed with the values, any other unit after the label) and ``factor`` (100 for percentages).
    The bar spans the comparators from worst (left) to best (right), the darker band their middle
    half (25th to 75th percentile), the line the benchmark (see :func:`spine_scale`); a row without
    a value reads "no data". Artists: the line has gid ``…-benchmark``, row i's marker ``…-value-i``.

    Examples
    --------
    >>> row = {"label": "Adults who smoke", "value": 0.2, "benchmark": 0.15, "minimum": 0.1, "q25": 0.13,
    ...        "q75": 0.18, "maximum": 0.25, "polarity": "low_is_good", "comparison": "worse", "unit": "%",
    ...        "factor": 100}
    >>> svg = render(spine_chart([row], title="Blacon"), "svg").decode()
    >>> re.findall(r'id="chart-[0-9a-f]{8}-([^"]+)"', svg)  # the marks' ids, unique to this chart
    ['benchmark', 'value-0']
    >>> [words in svg for words in ("Adults who smoke", "20.0%", "15.0%", "Worse than Borough")]
    [True, True, True, True]
    """
    rows = list(rows)
    n = max(len(rows), 1)
    head, foot = (0.55 if title else 0.1) + 0.5, 1.35
    height = head + ROW_H * n + foot
    fig = _figure(SPINE_W, height)
    ax = fig.add_axes((SPINE_X0 / SPINE_W, foot / height, (SPINE_X1 - SPINE_X0) / SPINE_W, ROW_H * n / height))
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(n - 0.5, -0.5)
    ax.axis("off")
    across = blended_transform_factory(fig.transFigure, ax.transData)
    x = lambda inches: inches / SPINE_W  # noqa: E731 - figure fraction of a distance in inches
    top = (foot + ROW_H * n + 0.1) / height
    for pos, text, ha in ((LABEL_X, "Indicator", "left"), (AREA_X, area_label, "right"),
                          (BENCH_X, benchmark_label, "right")):
        fig.text(x(pos), top, _wrap(text, 14 if pos > LABEL_X else 40), ha=ha, va="bottom", weight="bold",
                 fontsize=9)
    for pos, text, ha in ((SPINE_X0, "← Worse", "left"), (SPINE_X1, "Better →", "right")):
        fig.text(x(pos), top, text, ha=ha, va="bottom", weight="bold", fontsize=9)
    ax.axvline(0.5, color=INK, lw=1.4, zorder=3, gid="benchmark")
    undirected = False
    for i, row in enumerate(rows):
        if i % 2 == 0:
            fig.add_artist(Rectangle((x(0.1), i - 0.5), x(SPINE_W - 0.2), 1, transform=across, fc="#f2f2f2",
                                     ec="none", zorder=-1))
        neither = polarity_of(row.get("polarity") or "no_judgement") == "no_judgement"
        undirected |= neither
        unit, factor = row.get("unit") or "", row.get("factor", 1.0)
        label = str(row["label"]) + (f" ({unit})" if unit not in ("", "%") else "") + (" †" if neither else "")
        fig.text(x(LABEL_X), i, _wrap(label, 48, lines=2), transform=across, va="center", fontsize=9)
        shown = [_number(row.get(k)) for k in ("value", "benchmark")]
        digits = decimals([v * factor for v in shown if v is not None], unit)
        for pos, v, weight in ((AREA_X, shown[0], "bold"), (BENCH_X, shown[1], "normal")):
            fig.text(x(pos), i, format_value(v, _mark(unit), factor, digits), transform=across,
                     ha="right", va="center", fontsize=9, weight=weight)
        scale = spine_scale(row)
        if scale is None or scale["value"] is None:
            ax.text(0.5, i, "no data" if _number(row.get("value")) is None else "no benchmark",
                    ha="center", va="center", fontsize=8.5, style="italic", color=MUTED,
                    bbox={"fc": "white", "ec": "none", "pad": 1.5}, zorder=5)
            continue
        ax.add_patch(Rectangle((scale["worst"], i - 0.27), scale["best"] - scale["worst"], 0.54,
                               fc=RANGE, ec="none", zorder=1))
        if scale["q"]:
            lo, hi = scale["q"]
            ax.add_patch(Rectangle((lo, i - 0.27), hi - lo, 0.54, fc=MIDDLE, ec="none", zorder=2))
        style = STYLES[row.get("comparison") or "not compared"]
        ax.plot([scale["value"]], [i], ls="none", marker=style.marker, ms=11, mfc=style.colour, mec=INK,
                mew=1.0, zorder=4, gid=f"value-{i}")
    handles = [Rectangle((0, 0), 1, 1, fc=RANGE, label=f"Range of {comparator_label}, worst to best"),
               Rectangle((0, 0), 1, 1, fc=MIDDLE, label=f"Middle half of {comparator_label}"),
               Line2D([], [], color=INK, lw=1.4, label=f"{benchmark_label} value")]
    shown = ("better", "similar", "worse") + (("higher", "lower") if undirected else ()) + ("not compared",)
    handles += [_marker_handle(c, benchmark_label) for c in shown]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, (foot - 0.12) / height), ncols=3,
               frameon=False, fontsize=8.5, handlelength=1.6, columnspacing=1.8)
    notes = [f"Better, worse, higher or lower: the 95% confidence interval of the value excludes the "
             f"{benchmark_label} value."]
    if undirected:
        notes.append("† Neither higher nor lower is better: lower values are on the left.")
    fig.text(x(LABEL_X), 0.08 / height, "\n".join(notes), fontsize=7.5, color=MUTED, va="bottom")
    if title:
        fig.text(x(LABEL_X), 1 - 0.12 / height, title, fontsize=12, weight="bold", va="top")
    return _finish(fig)


# ----------------------------------------------------------------------------- ranked bar chart

def ranked_bars(rows, *, title, unit="", factor=1.0, benchmark=None, benchmark_label="Borough",
                highlight=()) -> Figure:
    """Every area of a set for one indicator, highest value at the top, bars styled by comparison.

    Rows (dicts): ``code``, ``name``, ``value``, ``lower`` and ``upper`` (the 95% interval, or None),
    ``comparison``. Figures are shown times ``factor`` (100 for percentages) with ``unit``; areas
    without a value are listed last as "no data"; the codes in ``highlight`` get bold names.

    Examples
    --------
    >>> rows = [{"code": "E05000001", "name": "Blacon", "value": 12.0, "comparison": "worse"},
    ...         {"code": "E05000002", "name": "Hoole", "value": 30.0, "comparison": "better"},
    ...         {"code": "E05000003", "name": "Upton", "value": None}]
    >>> fig = ranked_bars(rows, title="Rate per 1,000", benchmark=20, highlight=["E05000001"])
    >>> [(tick.get_text(), tick.get_fontweight()) for tick in fig.axes[0].get_yticklabels()]
    [('Hoole', 'normal'), ('Blacon', 'bold'), ('Upton', 'normal')]
    >>> svg = render(fig, "svg").decode()
    >>> "Borough: 20" in svg, "no data" in svg, "Worse than Borough" in svg
    (True, True, True)
    """
    rows, highlight = list(rows), set(highlight)
    ordered = sorted((r for r in rows if _number(r.get("value")) is not None),
                     key=lambda r: -_number(r["value"])) + [r for r in rows if _number(r.get("value")) is None]
    n = max(len(ordered), 1)
    fig = _figure(8.0, 1.9 + 0.27 * n, layout="constrained")
    ax = fig.add_subplot()
    scaled = lambda v: None if _number(v) is None else _number(v) * factor  # noqa: E731
    values = [scaled(r.get("value")) for r in ordered]
    limits = [v for r in ordered for v in (scaled(r.get("lower")), scaled(r.get("upper"))) if v is not None]
    bench = scaled(benchmark)
    known = [v for v in values if v is not None] + limits + ([bench] if bench is not None else [])
    low, high = min(known + [0.0]), max(known + [0.0])
    span = (high - low) or 1.0
    ax.set_xlim(low - (0.12 * span if low < 0 else 0), high + 0.14 * span)
    ax.set_ylim(n - 0.5, -1.4)
    digits = decimals(values + [bench], unit)
    whisker = None
    for i, (row, value) in enumerate(zip(ordered, values)):
        style = STYLES[row.get("comparison") or "not compared"]
        bold = row.get("code") in highlight
        if value is None:
            ax.annotate("no data", (0, i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8,
                        style="italic", color=MUTED)
            continue
        ax.barh(i, value, height=0.72, color=style.colour, hatch=style.hatch, edgecolor=INK,
                linewidth=1.8 if bold else 0.6, zorder=2, gid=f"bar-{i}")
        lo, up = scaled(row.get("lower")), scaled(row.get("upper"))
        if lo is not None and up is not None:
            whisker = ax.errorbar(value, i, xerr=[[max(value - lo, 0)], [max(up - value, 0)]], fmt="none",
                                  ecolor=INK, elinewidth=1, capsize=2.5, zorder=3)
        reach = [value] + ([lo, up] if None not in (lo, up) else [])
        end = max(reach) + 0.01 * span if value >= 0 else min(reach) - 0.01 * span
        ax.text(end, i, format_value(value, _mark(unit), digits=digits), ha="left" if value >= 0 else "right",
                va="center", fontsize=8, weight="bold" if bold else "normal",
                bbox={"fc": "white", "ec": "none", "pad": 0.6, "alpha": 0.85}, zorder=5)
    ax.set_yticks(range(len(ordered)), [_shorten(str(r.get("name") or r.get("code") or ""), 44) for r in ordered])
    for tick, row in zip(ax.get_yticklabels(), ordered):
        tick.set_fontweight("bold" if row.get("code") in highlight else "normal")
    ax.tick_params(axis="y", length=0, labelsize=8.5)
    if bench is not None:
        ax.axvline(bench, color=INK, ls="--", lw=1.3, zorder=4, gid="benchmark")
        ax.text(bench, -0.75, f"{benchmark_label}: {format_value(bench, _mark(unit), digits=digits)}", ha="center",
                va="center", fontsize=8.5, weight="bold", bbox={"fc": "white", "ec": INK, "lw": 0.6, "pad": 2.5},
                zorder=6)
    _value_axis(ax.xaxis, unit)
    if n > 25:
        ax.tick_params(axis="x", top=True, labeltop=True)
    ax.grid(axis="x", color="#e0e0e0", lw=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, loc="left", fontsize=12, weight="bold")
    present = [c for c in STYLES if any((r.get("comparison") or "not compared") == c for r in ordered)]
    handles = [Rectangle((0, 0), 1, 1, fc=STYLES[c].colour, ec=INK, lw=0.6, hatch=STYLES[c].hatch,
                         label=_words(c, benchmark_label)) for c in present]
    if whisker is not None:
        whisker.set_label("95% confidence interval")
        handles.append(whisker)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False,
               fontsize=8.5)
    return _finish(fig)


# ---------------------------------------------------------------------------------- trend chart

def trend_chart(points, *, title, unit="", factor=1.0, benchmark_points=None, target=None, label="Area",
                benchmark_label="Borough") -> Figure:
    """An area's value over time, with 95% intervals, optionally a benchmark series and a target.

    Points (dicts, in period order): ``period`` (a label such as "2019" or "2021/22"), ``value``,
    ``lower``, ``upper`` and optionally ``comparison`` (styles the marker); ``benchmark_points`` the
    same for the benchmark. ``target`` is a dict of ``baseline_period``, ``baseline_value``,
    ``period`` and ``target_value``, drawn as a dashed line from the baseline to the target.

    Examples
    --------
    >>> points = [{"period": "2019", "value": 10, "lower": 8, "upper": 12},
    ...           {"period": "2021/22", "value": 12, "lower": 10, "upper": 14}]
    >>> fig = trend_chart(points, title="Rate", target={"baseline_period": "2019", "baseline_value": 10,
    ...                                                 "period": "2030", "target_value": 15})
    >>> ax = fig.axes[0]  # periods stand at their years, so the 2030 target stands at its distance
    >>> [(tick.get_text(), float(x)) for tick, x in zip(ax.get_xticklabels(), ax.get_xticks())]
    [('2019', 2019.0), ('2021/22', 2021.0), ('2030', 2030.0)]
    >>> svg = render(fig, "svg").decode()
    >>> "Target: 15 by 2030" in svg, "95% confidence interval" in svg
    (True, True)
    """
    points, bench_points = list(points), list(benchmark_points or [])
    extra = [target["baseline_period"], target["period"]] if target else []
    at = _period_positions([p["period"] for p in points + bench_points] + extra)
    fig = _figure(8.0, 4.4, layout="constrained")
    ax = fig.add_subplot()
    scaled = lambda v: np.nan if _number(v) is None else _number(v) * factor  # noqa: E731
    xs, ys = [at[str(p["period"])] for p in points], [scaled(p.get("value")) for p in points]
    digits = decimals(ys, unit)
    ax.plot(xs, ys, color=INK, lw=1.6, zorder=3, gid="area")
    plain = not all(p.get("comparison") in STYLES for p in points)
    handles = [Line2D([], [], color=INK, lw=1.6, marker="o" if plain else None, mfc="white", ms=7, label=label)]
    handles += [_marker_handle(c, benchmark_label) for c in STYLES if any(p.get("comparison") == c for p in points)]
    whisker = None
    for x, y, p in zip(xs, ys, points):
        lo, up = scaled(p.get("lower")), scaled(p.get("upper"))
        if not np.isnan([y, lo, up]).any():
            whisker = ax.errorbar(x, y, yerr=[[max(y - lo, 0)], [max(up - y, 0)]], fmt="none", ecolor=INK,
                                  elinewidth=1, capsize=3.5, zorder=3)
        if not math.isnan(y):
            style = STYLES.get(p.get("comparison"), Style("white", "o", "", ""))
            ax.plot([x], [y], ls="none", marker=style.marker, ms=8, mfc=style.colour, mec=INK, zorder=4)
    if bench_points:
        ax.plot([at[str(p["period"])] for p in bench_points], [scaled(p.get("value")) for p in bench_points],
                color="#8c8c8c", lw=2.4, marker="s", ms=5, zorder=2, gid="benchmark")
        handles.append(Line2D([], [], color="#8c8c8c", lw=2.4, marker="s", ms=5, label=benchmark_label))
    if whisker is not None:
        whisker.set_label("95% confidence interval")
        handles.append(whisker)
    if target:
        x0, x1 = at[str(target["baseline_period"])], at[str(target["period"])]
        y0, y1 = scaled(target["baseline_value"]), scaled(target["target_value"])
        ax.plot([x0, x1], [y0, y1], color=INK, ls=(0, (5, 3)), lw=1.3, zorder=2, gid="target")
        ax.plot([x1], [y1], marker="*", ms=13, mfc="white", mec=INK, ls="none", zorder=4)
        handles.append(Line2D([], [], color=INK, ls=(0, (5, 3)), marker="*", mfc="white", ms=10,
                              label=f"Target: {format_value(y1, _mark(unit), digits=digits)} by {target['period']}"))
    finite = [(x, y) for x, y in zip(xs, ys) if not math.isnan(y)]
    if finite:
        ax.annotate(format_value(finite[-1][1], _mark(unit), digits=digits), finite[-1], xytext=(9, 0),
                    textcoords="offset points", va="center", fontsize=9, weight="bold", zorder=5)
    ax.set_xticks(list(at.values()), list(at))
    ax.set_xlim(min(at.values(), default=0) - 0.6, max(at.values(), default=0) + 0.8)
    if len(at) > 12 or max(map(len, at), default=0) > 9:
        ax.tick_params(axis="x", labelrotation=40)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    _value_axis(ax.yaxis, unit)
    ax.grid(axis="y", color="#e0e0e0", lw=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, loc="left", fontsize=12, weight="bold")
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False,
               fontsize=8.5)
    return _finish(fig)


# ------------------------------------------------------------------------------------------ maps

def area_map(focus, *, sub_areas=None, neighbours=None, title=None, colours=None) -> Figure:
    """A static map (British National Grid) of an area, its sub-areas and its neighbours.

    ``focus``: a GeoDataFrame or GeoSeries of one or more polygons, drawn with a thick dark outline.
    ``sub_areas``: drawn with thin lines, filled with ``colours`` (one hex colour per row, None for
    no data, hatched) when given, and named when there are at most 20 and a ``name`` column.
    ``neighbours``: light grey, named (``name`` column), clipped to a margin around the focus.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame({"name": ["North", "South"]}, crs="EPSG:27700",
    ...                          geometry=[box(0, 500, 1000, 1000), box(0, 0, 1000, 500)])
    >>> svg = render(area_map(wards.union_all(), sub_areas=wards, colours=["#08519c", None], title="Blacon"),
    ...              "svg").decode()
    >>> re.findall(r'id="chart-[0-9a-f]{8}-([^"]+)"', svg)
    ['no-data', 'focus']
    >>> [words in svg for words in ("Blacon", "North", "South", "0.2 km")]
    [True, True, True, True]
    """
    shape = _geoseries(focus)
    x0, y0, x1, y1 = shape.total_bounds
    pad = 0.08 * max(x1 - x0, y1 - y0, 1.0)
    width = 7.0
    aspect = min(max((y1 - y0 + 2 * pad) / (x1 - x0 + 2 * pad), 0.6), 1.3)
    title_h = 0.5 if title else 0.0
    fig = _figure(width, width * aspect + title_h)
    ax = fig.add_axes((0, 0, 1, width * aspect / (width * aspect + title_h)))
    view = _fit((x0 - pad, y0 - pad, x1 + pad, y1 + pad), aspect)
    if neighbours is not None and len(neighbours):
        near = _geoseries(neighbours)
        clipped = shapely.clip_by_rect(near.values, *view)
        _draw(ax, clipped, facecolor="#e3e3e3", edgecolor="#ffffff", linewidth=1.2, zorder=1)
        names = neighbours["name"] if "name" in getattr(neighbours, "columns", ()) else [None] * len(near)
        view_area = (view[2] - view[0]) * (view[3] - view[1])
        for geom, name in zip(clipped, names):
            if name and not geom.is_empty and geom.area > 0.015 * view_area:
                point = geom.representative_point()
                across = (point.x - view[0]) / (view[2] - view[0])
                ax.text(point.x, point.y, _wrap(str(name), 18), va="center", fontsize=8, style="italic",
                        color=MUTED, zorder=6, clip_on=True,
                        ha="left" if across < 0.15 else "right" if across > 0.85 else "center")
    _draw(ax, shape.values, facecolor="white", edgecolor="none", linewidth=0, zorder=2)
    if sub_areas is not None and len(sub_areas):
        parts = _geoseries(sub_areas)
        _fill(ax, parts.values, colours, edgecolor="#4d4d4d", linewidth=0.7, zorder=3)
        if "name" in getattr(sub_areas, "columns", ()) and len(sub_areas) <= 20:
            for geom, name in zip(parts.values, sub_areas["name"]):
                point = geom.representative_point()
                ax.text(point.x, point.y, _wrap(str(name), 16), ha="center", va="center", fontsize=7.5,
                        color=INK, zorder=7, bbox={"fc": "white", "ec": "none", "alpha": 0.75, "pad": 1.2})
    _draw(ax, shape.values, facecolor="none", edgecolor=INK, linewidth=2.6, zorder=5, gid="focus")
    _frame(ax, view, border=True)
    _scale_bar(ax, view)
    if title:
        fig.text(0.02, 1 - 0.1 / (width * aspect + title_h), title, fontsize=12, weight="bold", va="top")
    return _finish(fig)


def choropleth_map(frame, colours, *, highlight=None, title=None) -> Figure:
    """A small map of a set's areas filled with ``colours`` (one per row; None = no data, hatched grey),
    the areas whose ``code`` is in ``highlight`` outlined thickly: a panel for small multiples.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lsoas = gpd.GeoDataFrame({"code": ["E01000001", "E01000002", "E01000003"]}, crs="EPSG:27700",
    ...                          geometry=[box(0, 0, 500, 500), box(500, 0, 1000, 500), box(1000, 0, 1500, 500)])
    >>> fig = choropleth_map(lsoas, ["#08519c", "#fde28b", None], highlight=["E01000002"], title="Smoking")
    >>> svg = render(fig, "svg").decode()
    >>> re.findall(r'id="chart-[0-9a-f]{8}-([^"]+)"', svg), "Smoking" in svg
    (['no-data', 'highlight'], True)
    >>> choropleth_map(lsoas, ["#08519c"])
    Traceback (most recent call last):
    ...
    ValueError: 1 colours for 3 areas: give one colour (or None) per area.
    """
    shape = _geoseries(frame)
    x0, y0, x1, y1 = shape.total_bounds
    pad = 0.03 * max(x1 - x0, y1 - y0, 1.0)
    aspect = min(max((y1 - y0 + 2 * pad) / (x1 - x0 + 2 * pad), 0.6), 1.4)
    width, title_h = 3.2, 0.4 if title else 0.0
    fig = _figure(width, width * aspect + title_h)
    ax = fig.add_axes((0, 0, 1, width * aspect / (width * aspect + title_h)))
    _fill(ax, shape.values, colours, edgecolor="#ffffff", linewidth=0.4, zorder=1)
    chosen = np.isin(np.asarray(frame["code"]), list(highlight or ()))
    if chosen.any():
        outline = [shapely.union_all(shape.values[chosen])]
        _draw(ax, outline, facecolor="none", edgecolor="#ffffff", linewidth=4.0, zorder=2)
        _draw(ax, outline, facecolor="none", edgecolor=INK, linewidth=2.0, zorder=3, gid="highlight")
    _frame(ax, _fit((x0 - pad, y0 - pad, x1 + pad, y1 + pad), aspect))
    if title:
        fig.text(0.03, 1 - 0.06 / (width * aspect + title_h), _wrap(title, 40, lines=1), fontsize=9.5,
                 weight="bold", va="top")
    return _finish(fig)


# --------------------------------------------------------------------------------------- helpers

def _figure(width: float, height: float, **kwargs) -> Figure:
    fig = Figure(figsize=(width, height), **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure) -> Figure:
    """Print every text literally (no mathtext for ``$x$``, no TeX for ``_a_``) and make the ids of
    named marks (``benchmark``, ``value-0``) unique to this chart, as several share one HTML page."""
    for text in fig.findobj(Text):
        text.set_parse_math(False)
        text.set_usetex(False)
    chart = f"chart-{secrets.token_hex(4)}"
    for artist in fig.findobj(lambda a: a.get_gid() is not None):
        artist.set_gid(f"{chart}-{artist.get_gid()}")
    return fig


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _wrap(text, width: int, lines: int = 3) -> str:
    wrapped = textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = _shorten(wrapped[-1] + " …", width)
    return "\n".join(wrapped)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _words(comparison: str, benchmark_label: str) -> str:
    return STYLES[comparison].words.format(benchmark_label)


def _marker_handle(comparison: str, benchmark_label: str) -> Line2D:
    style = STYLES[comparison]
    return Line2D([], [], ls="none", marker=style.marker, ms=9, mfc=style.colour, mec=INK,
                  label=_words(comparison, benchmark_label))


def _mark(unit: str) -> str:
    """The unit printed after each figure: only "%"."""
    return "%" if unit == "%" else ""


def _value_axis(axis, unit: str) -> None:
    if unit == "%":
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,g}%".replace("-", "\N{MINUS SIGN}")))
    elif unit:
        axis.set_label_text(unit)


def _period_positions(labels) -> dict[str, float]:
    """Where each distinct period goes on the x axis: at its first four-digit year when every label has
    a different one (so a 2030 target stands at its distance), else one step apart in the order given.

    >>> _period_positions(["2019", "2021/22", "2030", "2019"])
    {'2019': 2019.0, '2021/22': 2021.0, '2030': 2030.0}
    >>> _period_positions(["Q1 2020", "Q2 2020"])
    {'Q1 2020': 0.0, 'Q2 2020': 1.0}
    """
    unique = list(dict.fromkeys(str(p) for p in labels))
    years = [re.search(r"\d{4}", p) for p in unique]
    if all(years) and len({y.group() for y in years}) == len(unique):
        return {p: float(y.group()) for p, y in zip(unique, years)}
    return {p: float(i) for i, p in enumerate(unique)}


def _geoseries(obj) -> gpd.GeoSeries:
    """Polygons in British National Grid (no CRS is taken to be it), from a frame, series or list."""
    series = obj.geometry if isinstance(obj, gpd.GeoDataFrame) else gpd.GeoSeries(obj)
    if series.crs is not None and series.crs.to_epsg() != 27700:
        series = series.to_crs(27700)
    return series.reset_index(drop=True)


def _path(geom) -> Path:
    rings = []
    for polygon in shapely.get_parts(shapely.orient_polygons(geom)):
        if isinstance(polygon, shapely.Polygon):
            rings += [Path(np.asarray(r.coords)[:, :2], closed=True) for r in (polygon.exterior, *polygon.interiors)]
    return Path.make_compound_path(*rings) if rings else Path(np.empty((0, 2)))


def _draw(ax, geoms, *, gid=None, **style) -> PatchCollection:
    patches = [PathPatch(_path(g)) for g in geoms if g is not None and not g.is_empty]
    collection = PatchCollection(patches, match_original=False, **style)
    collection.set_gid(gid)
    ax.add_collection(collection)
    return collection


def _fill(ax, geoms, colours, **style) -> None:
    """Polygons filled with their colours (white when ``colours`` is None); None is no data, hatched."""
    if colours is None:
        _draw(ax, geoms, facecolor="white", **style)
        return
    colours = list(colours)
    if len(colours) != len(geoms):
        raise ValueError(f"{len(colours)} colours for {len(geoms)} areas: give one colour (or None) per area.")
    have = np.array([c is not None for c in colours], dtype=bool)
    _draw(ax, geoms[have], facecolor=[c for c in colours if c is not None], **style)
    if (~have).any():
        _draw(ax, geoms[~have], facecolor="#d9d9d9", hatch="////", **(style | {"edgecolor": NO_DATA}),
              gid="no-data")


def _fit(bounds, aspect: float) -> tuple[float, float, float, float]:
    """Grow ``bounds`` about their centre to the axes' height/width ratio."""
    x0, y0, x1, y1 = bounds
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    w, h = max(w, h / aspect), max(h, w * aspect)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _frame(ax, view, border: bool = False) -> None:
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("equal")
    ax.set_axis_off()
    if border:
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, fc="none", ec="#9e9e9e", lw=1.5, zorder=10))


def _scale_bar(ax, view) -> None:
    """A two-part scale bar in km at the lower left, and a north arrow at the upper right."""
    width, height = view[2] - view[0], view[3] - view[1]
    step = 10 ** math.floor(math.log10(width / 5))
    length = max(m * step for m in (1, 2, 5) if m * step <= width / 5)
    x, y, bar = view[0] + 0.04 * width, view[1] + 0.045 * height, 0.012 * height
    ax.add_patch(Rectangle((x - 0.015 * width, y - 0.025 * height), length + 0.09 * width, 0.085 * height,
                           fc="white", ec="none", alpha=0.8, zorder=8))
    for k, colour in enumerate((INK, "white")):
        ax.add_patch(Rectangle((x + k * length / 2, y), length / 2, bar, fc=colour, ec=INK, lw=0.8, zorder=9))
    ax.text(x, y + bar * 1.6, "0", ha="center", va="bottom", fontsize=7.5, zorder=9)
    ax.text(x + length, y + bar * 1.6, f"{length / 1000:g} km", ha="center", va="bottom", fontsize=7.5, zorder=9)
    ax.annotate("N", xy=(0.955, 0.97), xytext=(0.955, 0.86), xycoords="axes fraction", ha="center", va="center",
                fontsize=9, weight="bold", arrowprops={"arrowstyle": "-|>", "color": INK, "lw": 1.2}, zorder=9)
