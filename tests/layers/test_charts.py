"""Charts: rendered to SVG and PNG, read back, and checked for what a reader relies on."""
from __future__ import annotations

import gc
import struct
import weakref
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.text import Text
from shapely.geometry import box

from layers import charts

HOSTILE = "<script>alert(1)</script> $x$ _a_"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def svg_texts(svg: bytes) -> list[str]:
    """Every <text> of an SVG (drawn with fonttype none), as the reader sees it."""
    root = ET.fromstring(svg)
    return ["".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")]


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    return struct.unpack(">II", png[16:24])


def fig_texts(fig: Figure) -> set[str]:
    """Every text of the figure, wrapped lines joined by spaces (the SVG has one <text> per line)."""
    return {t.get_text().replace("\n", " ") for t in fig.findobj(Text)}


def by_gid(fig: Figure, name: str) -> list:
    return [a for a in fig.findobj() if (a.get_gid() or "").endswith(f"-{name}")]


def both(fig: Figure) -> tuple[bytes, list[str]]:
    """Render to PNG and SVG; check the PNG's pixel size and that the SVG is well-formed and inert."""
    png = charts.render(fig, "png")
    width, height = fig.get_size_inches()
    assert np.allclose(png_size(png), (width * charts.DPI, height * charts.DPI), atol=1)
    svg = charts.render(fig, "svg")
    root = ET.fromstring(svg)
    assert not [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("script", "foreignObject")]
    return png, svg_texts(svg)


def spine_row(label, value, polarity, comparison, **extra):
    return {"label": label, "value": value, "benchmark": 20.0, "minimum": 8.0, "q25": 15.0, "q75": 26.0,
            "maximum": 44.0, "polarity": polarity, "comparison": comparison} | extra


SPINE_ROWS = [
    spine_row("IMD 2019 score", 31.5, "low_is_good", "worse"),
    spine_row("Adults in employment", 0.61, "high_is_good", "worse", benchmark=0.74, minimum=0.58, q25=0.7,
              q75=0.78, maximum=0.84, unit="%", factor=100),
    spine_row("Good level of development at age 5", 0.76, "higher is better", "better", benchmark=0.70,
              minimum=0.55, q25=0.64, q75=0.74, maximum=0.81, unit="%", factor=100),
    spine_row("Emergency admissions for falls, 65+", 2150, "low_is_good", "better", benchmark=2300,
              minimum=1500, q25=1900, q75=2400, maximum=2900, unit="per 100,000"),
    spine_row("Population aged 65 and over", 0.17, "no_judgement", "lower", benchmark=0.21, minimum=0.12,
              q25=0.18, q75=0.24, maximum=0.31, unit="%", factor=100),
    spine_row("Crime rate", None, "low_is_good", "not compared"),
]


# ------------------------------------------------------------------------------------------- render

def test_render_refuses_other_formats():
    with pytest.raises(ValueError, match="svg or png"):
        charts.render(charts.spine_chart(SPINE_ROWS), "pdf")


def test_figures_are_freed_after_rendering():
    fig = charts.ranked_bars([{"code": "a", "name": "A", "value": 1.0, "lower": 0.5, "upper": 1.5,
                               "comparison": "similar"}], title="t")
    charts.render(fig, "png"), charts.render(fig, "svg")
    ref = weakref.ref(fig)
    del fig
    gc.collect()
    assert ref() is None


def test_charts_leave_nothing_in_pyplot():
    from matplotlib import pyplot  # imported by mapclassify anyway; charts must never register figures there

    charts.render(charts.spine_chart(SPINE_ROWS), "svg")
    charts.render(charts.choropleth_map(boxes(["a"], [(0, 0, 1000, 1000)]), ["#ffffff"]), "png")
    assert pyplot.get_fignums() == []


def test_charts_render_in_parallel_threads():
    def draw(i):
        rows = [{"code": f"c{k}", "name": f"Area {i}-{k}", "value": k * 1.5, "lower": None, "upper": None,
                 "comparison": "not compared"} for k in range(8)]
        return svg_texts(charts.render(charts.ranked_bars(rows, title=f"Chart {i}"), "svg"))

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(draw, range(8)))
    for i, texts in enumerate(results):
        assert f"Chart {i}" in texts and f"Area {i}-7" in texts


# -------------------------------------------------------------------------------------- spine chart

def test_spine_scale_puts_worse_left_and_benchmark_in_the_middle():
    low_good = charts.spine_scale(spine_row("x", 30, "low_is_good", "worse"))
    high_good = charts.spine_scale(spine_row("x", 10, "high_is_good", "worse"))
    neither = charts.spine_scale(spine_row("x", 10, "no_judgement", "lower"))
    assert low_good["value"] < 0.5 and high_good["value"] < 0.5 and neither["value"] < 0.5
    # Both sides share the larger distance (44 - 20 = 24): the long side reaches the end, the short does not.
    assert low_good["worst"] == 0.0 and low_good["best"] == pytest.approx(0.5 + 0.5 * 12 / 24)
    assert high_good["best"] == 1.0 and high_good["worst"] == pytest.approx(0.5 - 0.5 * 12 / 24)
    assert charts.spine_scale({"value": 1, "benchmark": None, "minimum": 0, "maximum": 2}) is None


def test_spine_chart_marks_worse_left_of_the_benchmark_for_both_polarities():
    fig = charts.spine_chart(SPINE_ROWS, title="Chester compared with the borough", area_label="Chester")
    (line,) = by_gid(fig, "benchmark")
    centre = line.get_xdata()[0]
    assert centre == 0.5
    x = {i: by_gid(fig, f"value-{i}")[0].get_xdata()[0] for i in range(5)}
    assert x[0] < centre and x[1] < centre  # worse: low_is_good above, high_is_good below the benchmark
    assert x[2] > centre and x[3] > centre  # better: both polarities on the right
    assert x[4] < centre  # no judgement: lower values on the left
    assert not by_gid(fig, "value-5")  # no value, no marker
    markers = {by_gid(fig, f"value-{i}")[0].get_marker() for i in (0, 1)}
    assert markers == {charts.STYLES["worse"].marker}
    assert by_gid(fig, "value-2")[0].get_marker() == charts.STYLES["better"].marker != charts.STYLES["worse"].marker


def test_spine_chart_text_values_and_legend():
    fig = charts.spine_chart(SPINE_ROWS, title="Chester compared with the borough", area_label="Chester",
                             benchmark_label="Cheshire West and Chester", comparator_label="wards")
    _, texts = both(fig)
    for expected in ("Chester compared with the borough", "IMD 2019 score", "31.5", "20.0", "61.0%", "74.0%",
                     "2,150", "2,300", "no data", "← Worse", "Better →", "Worse than Cheshire West and Chester",
                     "Better than Cheshire West and Chester", "Not compared", "Range of wards, worst to best"):
        assert expected in texts, expected
    assert "Emergency admissions for falls, 65+ (per 100,000)" in fig_texts(fig)  # other units follow the label
    assert "Population aged 65 and over †" in texts  # no judgement is flagged and explained
    assert any(t.startswith("† Neither higher nor lower is better") for t in texts)


def test_spine_chart_grows_with_its_rows():
    assert charts.spine_chart(SPINE_ROWS).get_figheight() > charts.spine_chart(SPINE_ROWS[:2]).get_figheight()


def test_spine_chart_with_real_deprivation_scores(data_dir):
    imd = pd.read_csv(data_dir / "cheshire_west_and_chester_imd2019.csv")
    columns = {"Index of Multiple Deprivation (IMD) Score": "IMD score", "Income Score (rate)": "Income",
               "Employment Score (rate)": "Employment"}
    worst = imd.loc[imd["Index of Multiple Deprivation (IMD) Score"].idxmax()]
    rows = []
    for column, label in columns.items():
        values = imd[column].to_numpy(float)
        rows.append({"label": label, "value": worst[column], "benchmark": float(np.mean(values)),
                     "minimum": values.min(), "q25": np.percentile(values, 25), "q75": np.percentile(values, 75),
                     "maximum": values.max(), "polarity": "higher is worse", "comparison": "worse"})
    fig = charts.spine_chart(rows, title=worst["LSOA name (2011)"], comparator_label="LSOAs")
    for i in range(3):
        assert by_gid(fig, f"value-{i}")[0].get_xdata()[0] < 0.5
    _, texts = both(fig)
    assert worst["LSOA name (2011)"] in texts and f"{worst['Index of Multiple Deprivation (IMD) Score']:.1f}" in texts


# ------------------------------------------------------------------------------------- ranked bars

BAR_ROWS = [
    {"code": "E05012209", "name": "Blacon", "value": 0.262, "lower": 0.231, "upper": 0.295, "comparison": "worse"},
    {"code": "E05012219", "name": "Handbridge Park", "value": 0.061, "lower": 0.045, "upper": 0.082,
     "comparison": "better"},
    {"code": "E05012211", "name": "Chester City & the Garden Quarter", "value": 0.149, "lower": 0.12,
     "upper": 0.18, "comparison": "similar"},
    {"code": "E05012230", "name": "Lache", "value": None, "lower": None, "upper": None,
     "comparison": "not compared"},
    {"code": "X1", "name": HOSTILE, "value": 0.2, "lower": None, "upper": None, "comparison": "not compared"},
]


def test_ranked_bars_order_values_and_benchmark():
    fig = charts.ranked_bars(BAR_ROWS, title="Children in low-income families, 2019", unit="%", factor=100,
                             benchmark=0.152, benchmark_label="Cheshire West and Chester",
                             highlight=["E05012211"])
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["Blacon", HOSTILE, "Chester City & the Garden Quarter", "Handbridge Park", "Lache"]
    widths = [by_gid(fig, f"bar-{i}")[0].get_width() for i in range(4)]
    assert widths == pytest.approx([26.2, 20.0, 14.9, 6.1])
    assert not by_gid(fig, "bar-4")  # no value, no bar
    bold = {t.get_text(): t.get_fontweight() for t in ax.get_yticklabels()}
    assert bold["Chester City & the Garden Quarter"] == "bold" and bold["Blacon"] == "normal"
    (line,) = by_gid(fig, "benchmark")
    assert line.get_xdata()[0] == pytest.approx(15.2)
    hatches = {by_gid(fig, f"bar-{i}")[0].get_hatch() for i in (0, 3)}
    assert hatches == {charts.STYLES["worse"].hatch, ""}  # worse is hatched, better is not
    _, texts = both(fig)
    for expected in ("26.2%", "6.1%", "no data", "Cheshire West and Chester: 15.2%", HOSTILE,
                     "Worse than Cheshire West and Chester", "95% confidence interval"):
        assert expected in texts, expected


def test_ranked_bars_height_grows_with_areas():
    many = [dict(BAR_ROWS[0], code=str(i), name=f"Area {i}") for i in range(40)]
    assert charts.ranked_bars(many, title="t").get_figheight() > charts.ranked_bars(BAR_ROWS, title="t").get_figheight()


# ------------------------------------------------------------------------------------------- trend

def test_trend_chart_with_benchmark_and_target():
    points = [{"period": str(y), "value": 0.20 - 0.004 * i, "lower": 0.18 - 0.004 * i, "upper": 0.22 - 0.004 * i,
               "comparison": "similar"} for i, y in enumerate(range(2015, 2023))]
    points[3]["value"] = None
    bench = [{"period": str(y), "value": 0.19} for y in range(2015, 2023)]
    fig = charts.trend_chart(points, title="Smoking prevalence", unit="%", factor=100, benchmark_points=bench,
                             target={"baseline_period": "2019", "baseline_value": 0.184, "period": "2030",
                                     "target_value": 0.05}, label="Chester")
    (target,) = by_gid(fig, "target")
    assert list(target.get_xdata()) == [2019.0, 2030.0] and list(target.get_ydata()) == pytest.approx([18.4, 5.0])
    assert target.get_linestyle() == "--"
    (area,) = by_gid(fig, "area")
    assert np.isnan(area.get_ydata()[3])  # a missing year is a gap, never zero
    _, texts = both(fig)
    for expected in ("Smoking prevalence", "2015", "2030", "17.2%", "Target: 5.0% by 2030", "Chester", "Borough",
                     "Similar to Borough"):
        assert expected in texts, expected


def test_trend_chart_keeps_non_year_periods_in_order():
    points = [{"period": p, "value": v, "lower": None, "upper": None} for p, v in (("Spring", 3), ("Autumn", 5))]
    fig = charts.trend_chart(points, title="Survey", unit="people")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Spring", "Autumn"]
    assert fig.axes[0].get_ylabel() == "people"


# -------------------------------------------------------------------------------------------- maps

def boxes(names, cells):
    return gpd.GeoDataFrame({"code": [f"c{i}" for i in range(len(cells))], "name": names},
                            geometry=[box(*c) for c in cells], crs=27700)


def test_area_map_with_boxes():
    focus = boxes(["Focus"], [(0, 0, 4000, 3000)])
    subs = boxes(["West", "East"], [(0, 0, 2000, 3000), (2000, 0, 4000, 3000)])
    near = boxes(["Northfield " + HOSTILE, "Far Away"], [(-2000, 3000, 6000, 6000), (50000, 0, 60000, 5000)])
    fig = charts.area_map(focus, sub_areas=subs, neighbours=near, title="Focus area", colours=["#41b6c4", None])
    ax = fig.axes[0]
    assert not ax.axison and ax.get_aspect() == 1.0
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 < 0 < 4000 < x1 and y0 < 0 < 3000 < y1 and x1 - x0 < 10000  # a margin, not the far neighbour
    assert by_gid(fig, "focus")[0].get_linewidth()[0] > 2
    assert by_gid(fig, "no-data")  # the sub-area without a colour is hatched
    _, texts = both(fig)
    assert "Focus area" in texts and "West" in texts and "East" in texts
    assert "Northfield " + HOSTILE in fig_texts(fig)
    assert not any("Far Away" in t for t in texts)
    assert "0.5 km" in texts and "N" in texts  # a scale bar (at most a fifth of the view) and north


def test_area_map_needs_one_colour_per_sub_area():
    focus = boxes(["Focus"], [(0, 0, 4000, 3000)])
    with pytest.raises(ValueError, match="one colour"):
        charts.area_map(focus, sub_areas=focus, colours=["#ffffff", "#000000"])


def test_area_map_of_a_real_partnership(cwac):
    wards, apb_wards = cwac["wards"], cwac["apb_wards"]
    chester = set(apb_wards.loc[apb_wards["apb_id"] == "chester", "ward_code"])
    inside = wards[wards["code"].isin(chester)]
    focus = cwac["apbs"][cwac["apbs"]["code"] == "chester"]
    fig = charts.area_map(focus.to_crs(4326), sub_areas=inside, neighbours=wards[~wards["code"].isin(chester)],
                          title="Chester APB")
    xmin, xmax = fig.axes[0].get_xlim()
    assert 300000 < xmin < focus.total_bounds[0] < focus.total_bounds[2] < xmax < 400000  # reprojected to 27700
    png, texts = both(fig)
    assert len(png) > 20000
    assert set(inside["name"]) <= fig_texts(fig)
    assert "Blacon" in texts and "Chester APB" in texts


def test_choropleth_map_of_real_wards(cwac):
    wards = cwac["wards"]
    rng = np.random.default_rng(7)
    colours = [None if i % 9 == 0 else charts.STYLES["better"].colour if rng.random() < 0.5 else "#c7e9b4"
               for i in range(len(wards))]
    highlight = list(wards["code"][:3])
    fig = charts.choropleth_map(wards, colours, highlight=highlight, title="Income deprivation")
    (outline,) = by_gid(fig, "highlight")
    assert isinstance(outline, PatchCollection) and outline.get_linewidth()[0] >= 2
    (missing,) = by_gid(fig, "no-data")
    assert len(missing.get_paths()) == sum(c is None for c in colours) and missing.get_hatch()
    _, texts = both(fig)
    assert texts == ["Income deprivation"]


# ----------------------------------------------------------------------------------- hostile text

def test_hostile_text_is_printed_literally_everywhere():
    figs = [charts.spine_chart([spine_row(HOSTILE, 30, "low_is_good", "worse")], title=HOSTILE,
                               area_label=HOSTILE, benchmark_label=HOSTILE),
            charts.ranked_bars(BAR_ROWS, title=HOSTILE, benchmark=0.1, benchmark_label=HOSTILE),
            charts.trend_chart([{"period": HOSTILE, "value": 1, "lower": 0, "upper": 2}], title=HOSTILE,
                               label=HOSTILE)]
    for fig in figs:
        assert all(not t.get_parse_math() and not t.get_usetex() for t in fig.findobj(Text))
        _, texts = both(fig)
        assert HOSTILE in texts or HOSTILE in fig_texts(fig) and "<script>alert(1)</script>" in " ".join(texts)
