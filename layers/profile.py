"""An area profile as one typed object, built purely from what was read for the area.

:func:`build_profile` turns a :class:`layers.profile_input.ProfileInput` into a :class:`Profile`: every indicator
by theme with its interval and comparisons, key facts, the ranked sub-areas, deprivation, service areas, groups
and sources. The page, the board pack, the tables and the JSON twin all render this one object; the twin's
OpenAPI schema is derived from these types (field descriptions in ``metadata["doc"]``; a field with
``metadata["omit"]`` is left out of the twin when that test of its owner holds; ``metadata["twin"] = False``
keeps a field off the twin).

Pure: no Flask, no storage.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

import numpy as np

from layers.figures import polarity
from layers.intervals import compare
from layers.profile_input import FigureReading, Neighbour, ParentArea, ProfileInput, RankingReading, RelatedSet, doc
from layers.ranks import Rank

Comparison = Literal["better", "similar", "worse", "higher", "lower", "not compared"]
#: Sets listed as sub-areas, preferred in this order, for the ranked table.
RANK_KINDS = ("laf", "ward", "parish", "msoa", "lsoa")
#: What MHCLG says, in short, about comparing two releases of the Indices of Deprivation.
RELEASES_CAVEAT = (
    "The releases are not directly comparable. Each ranks every small area in England against the others "
    "at its own time, so a change in rank or decile shows an area moving relative to the rest of England, "
    "not an absolute change; scores are built from indicators that changed between releases, so MHCLG "
    "advises against comparing them. The 2025 release uses the 2021 small areas (33,755 LSOAs, against "
    "32,844 in 2019), so the same area is made of different small areas in each.")


# ------------------------------------------------------------------------------------------- the area


@dataclass(frozen=True)
class Area:
    """The area itself and its boundary set."""

    code: str
    name: str
    kind: str
    kind_name: str = field(metadata=doc('What the area is, for headings ("Ward", "Sub-ICB location").'))
    set: Mapping[str, Any] = field(metadata=doc("The boundary set (id, name, kind, vintage, source, licence, "
                                                "version); id is null for a freehand area."))
    area_km2: float
    bounds: tuple[float, ...] = field(metadata=doc("minx, miny, maxx, maxy in British National Grid metres."))


@dataclass(frozen=True)
class AreaRef:
    """An area of a stored set named as a comparator."""

    set: str
    code: str
    name: str
    role: Literal["borough", "district"] = field(default="borough", metadata=doc(
        "``borough``: the store's one borough; ``district``: in a store of several districts, the district "
        "holding the area (each area is compared with its own)."))

    @property
    def words(self) -> str:
        """How sentences name it: "the borough", or the district's own name ("Halton")."""
        return "the borough" if self.role == "borough" else self.name


@dataclass(frozen=True)
class Comparator:
    """The comparator beyond the borough (England)."""

    code: str
    name: str


# ------------------------------------------------------------------------------------------- key facts


@dataclass(frozen=True)
class Population:
    """The area's population: the same figure, with its period, source and method, on every page."""

    value: float
    period: str | None
    indicator: str
    title: str
    source: str
    licence: str | None
    method: str


@dataclass(frozen=True)
class AgeBand:
    """People in one age band and their share of the population."""

    id: str
    title: str
    value: float | None
    share: float | None
    period: str | None


@dataclass(frozen=True)
class KeyFacts:
    """Population, people by age, land area, density and what the area holds."""

    population: Population | None
    age_bands: tuple[AgeBand, ...]
    area_km2: float
    density: float | None = field(metadata=doc("People per square kilometre."))
    contains: dict[str, int] = field(metadata=doc("How many areas of each other set lie inside, by set name."))


# ------------------------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class Interval:
    """A comparator's figure with its 95% interval."""

    value: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class EnglandFigure:
    """England's figure, made by the same engine from England's file."""

    value: float | None
    method: str | None


@dataclass(frozen=True)
class Spine:
    """The spread of the set's areas (the spine chart's comparators)."""

    areas: int
    minimum: float
    q25: float
    median: float
    q75: float
    maximum: float


@dataclass(frozen=True)
class TrendPoint:
    """The area's figure in one period of the indicator's series (a period, or a release)."""

    period: str
    indicator: str
    release: str = field(metadata=doc("The source of this period's figures."))
    value: float | None
    lower: float | None
    upper: float | None
    borough: float | None
    england: float | None


@dataclass(frozen=True)
class IndicatorFigure:
    """One indicator for the area: its figure with its interval and method, compared with the borough, England
    and the area above."""

    id: str
    title: str
    description: str | None
    type: str
    unit: str | None
    polarity: str | None
    period: str | None
    periods: tuple[str, ...]
    series: str = field(metadata=doc("The measure across releases."))
    role: str | None
    display_factor: float
    source: str
    licence: str | None
    value: float | None
    lower: float | None
    upper: float | None
    numerator: float | None
    denominator: float | None
    method: str | None = field(metadata=doc("How the small areas were combined (nesting, best fit or "
                                            "apportionment) and how many had data."))
    interval_method: str | None
    borough: Interval | None
    compared_with_borough: Comparison
    england: EnglandFigure | None
    compared_with_england: Comparison
    parent: Interval | None
    compared_with_parent: Comparison
    spine: Spine | None
    trend: tuple[TrendPoint, ...] | None = field(default=None, metadata=doc(
        "The figure in every period of its series, earliest first (null with fewer than two)."))
    trend_caveat: str | None = field(default=None, metadata=doc(
        "Why releases may not be compared (with a trend only).", omit=lambda item: item.trend is None))
    ranks: tuple[Rank, ...] = field(default=(), metadata=doc(
        "Where the area stands among the areas of its set: in England (or among the areas loaded, when the "
        "store does not hold all of England's), then within its district. Empty for a freehand area."))


@dataclass(frozen=True)
class Theme:
    """The indicators of one theme."""

    theme: str
    indicators: tuple[IndicatorFigure, ...]


@dataclass(frozen=True)
class RankedRow:
    """One finer area in the ranked table."""

    code: str
    name: str | None
    value: float | None
    lower: float | None
    upper: float | None
    comparison: Comparison | None


@dataclass(frozen=True)
class SubAreas:
    """The finer areas inside the area, ranked by one indicator, highest first."""

    set: str
    set_name: str
    indicator: Mapping[str, Any] = field(metadata=doc("The indicator ranked by, as the catalogue has it."))
    period: str | None
    display_factor: float
    rows: tuple[RankedRow, ...]


@dataclass(frozen=True)
class Source:
    """A source of the figures shown, with its periods and licence."""

    source: str
    licence: str | None
    periods: tuple[str, ...]
    not_available: tuple[str, ...] | None = field(default=None, metadata=doc(
        "Indicators with no value in any area (this line lists them).", omit=lambda s: s.not_available is None))


# ------------------------------------------------------------------------------------------- deprivation


@dataclass(frozen=True)
class Measure:
    """A summary measure of the Indices of Deprivation."""

    id: str
    label: str


@dataclass(frozen=True)
class DistrictRanks:
    """A district's ranks among all England's districts (1 = most deprived)."""

    ranks: dict[str, float | None]
    districts: int
    method: str | None


@dataclass(frozen=True)
class DeprivationRow:
    """The summary measures of one index or domain for the area."""

    domain: str
    label: str
    lsoas: float
    population: float | None
    notes: str | None
    average_score: float | None
    average_rank: float | None
    proportion_most_deprived_10pc: float | None
    extent: float | None
    local_concentration: float | None
    ranks: DistrictRanks | None = field(default=None, metadata=doc("For a district: its ranks.",
                                                                                   omit=lambda row: row.ranks is None))


@dataclass(frozen=True)
class DecileShares:
    """The share of the area's population in each national decile (1 = most deprived) of one domain."""

    domain: str
    label: str
    population: float
    shares: tuple[float, ...]


@dataclass(frozen=True)
class DeprivationRelease:
    """One release of the Indices of Deprivation, summarised for the area."""

    release: str
    period: str | None
    measures: tuple[Measure, ...]
    source: str | None
    method: str
    summary: tuple[DeprivationRow, ...]
    deciles: tuple[DecileShares, ...]
    districts: int | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Deprivation(DeprivationRelease):
    """The latest release for the area, with earlier releases as its trend."""

    earlier: tuple[DeprivationRelease, ...] = ()
    caveat: str | None = None


# ------------------------------------------------------------------------------------------- service areas


class ServiceShare(TypedDict):
    """An area sharing ground with the area, with the shares of population and land."""

    set: str
    code: str
    name: str
    people_in_common: float | None
    population_share: float | None
    area_share: float | None
    share_text: str


class ServiceLine(TypedDict):
    """One pair of sets: the areas of the other set sharing ground with the area, as a sentence and a list."""

    set: dict[str, Any]
    other: dict[str, Any]
    lead: str
    areas: list[ServiceShare]
    note: str
    sentence: str
    by: Literal["population", "area"]
    alignment: dict[str, str]
    outside_area_share: NotRequired[float]
    covered: NotRequired[float | None]
    population: NotRequired[float | None]


@dataclass(frozen=True)
class Services:
    """The service areas serving a partnership area, or the partnership areas a service area serves."""

    direction: Literal["serves", "served by"]
    ignore_slivers: bool
    lines: tuple[ServiceLine, ...]
    method: tuple[str, ...]


# ------------------------------------------------------------------------------------------- the profile


@dataclass(frozen=True)
class Profile:
    """An area profile: key facts, related areas, every indicator by theme compared with the borough and the
    parent area, deprivation, ranked sub-areas, community groups, sources."""

    area: Area
    parent: ParentArea | None
    borough: AreaRef | None
    england: Comparator | None = field(metadata=doc("The comparator beyond the borough."))
    key_facts: KeyFacts
    related: tuple[RelatedSet, ...]
    themes: tuple[Theme, ...]
    sub_areas: SubAreas | None
    groups: Mapping[str, Any] = field(metadata=doc("Groups based in the area and (stored areas) serving it, per "
                                                   "1,000 residents against the borough."))
    method: str | None
    notes: tuple[str, ...]
    sources: tuple[Source, ...]
    produced: str = field(metadata=doc("When the profile was made.", format="date-time"))
    neighbours: tuple[Neighbour, ...]
    targets: tuple[Mapping[str, Any], ...]
    services: Services | None = field(metadata=doc(
        "The service areas serving the area (or, for a service area, the partnership areas it serves) with "
        "shares of population and land; null for freehand areas."))
    deprivation: Deprivation | None
    borough_deprivation: Deprivation | None = field(default=None, metadata=doc(
        "The borough's own deprivation section, for the board pack's briefing.", twin=False))

    @property
    def stored(self) -> bool:
        """Whether the area is an area of a stored set (not drawn or uploaded)."""
        return self.area.set.get("id") is not None

    @property
    def indicators(self) -> list[IndicatorFigure]:
        """Every indicator of every theme, in order."""
        return [item for theme in self.themes for item in theme.indicators]


def build_profile(data: ProfileInput) -> Profile:
    """Build an area's profile from what was read for it.

    Parameters
    ----------
    data : ProfileInput
        The area, its figures, related areas and sections, as read (the indicator ranking the sub-areas
        was chosen when reading: see :func:`default_rank`).

    Returns
    -------
    Profile

    Examples
    --------
    >>> data = ProfileInput(code="X1", name="Holdon", kind="ward", kind_name="Ward", set={"id": "wards"},
    ...                     area_m2=2_500_000.0, bounds=(0.0, 0.0, 1000.0, 2500.0), produced="2025-01-01T00:00:00",
    ...                     groups={"based": {"all": 2, "by_theme": {"Health": 2, "Sport": 0}, "small": 1}})
    >>> profile = build_profile(data)
    >>> profile.area.area_km2, profile.key_facts.density, profile.themes, profile.groups["by_theme"]
    (2.5, None, (), {'Health': 2})
    """
    figures = data.figures
    first = figures[0] if figures else None
    population = Population(**data.population) if data.population else None
    borough = None
    if first is not None and first.borough:
        borough = AreaRef(data.borough_set, first.borough["code"], first.borough["name"],
                          "district" if data.district_comparison else "borough")
    england = next((f.england for f in figures if f.england), None)
    return Profile(
        area=Area(data.code, data.name, data.kind, data.kind_name, data.set, round(data.area_m2 / 1e6, 3),
                  tuple(round(v, 1) for v in data.bounds)),
        parent=data.parent, borough=borough,
        england=england and Comparator(england["code"], england["name"]),
        key_facts=key_facts(data, population),
        related=data.related,
        themes=themes(figures, data.parent, data.releases),
        sub_areas=ranked(data.ranking),
        groups=groups(data.groups),
        method=first.weights if first else None,
        notes=tuple(dict.fromkeys(n for f in figures for n in f.placement)),
        sources=sources(figures, data.empty_indicators),
        produced=data.produced, neighbours=data.neighbours, targets=data.targets,
        services=services(data.services), deprivation=data.deprivation,
        borough_deprivation=data.borough_deprivation)


def key_facts(data: ProfileInput, population: Population | None) -> KeyFacts:
    """Population, people by age (the bands of the population's own catalogue), land area and what it holds.

    ``data`` needs ``figures``, ``population_catalogue``, ``area_m2`` and ``related``.

    >>> from types import SimpleNamespace as Read
    >>> young = FigureReading(id="age_0_15", indicator={"role": "age band", "catalogue": "mid2020",
    ...     "title": "Aged 0 to 15"}, available=True, period="mid-2020", periods=("mid-2020",), display_factor=1.0,
    ...     weights="", placement=(), own={"value": 1800.0}, borough=None, england=None, values=np.array([]))
    >>> people = Population(9000.0, "mid-2020", "pop", "Population", "ONS", "OGL", "Official estimate")
    >>> facts = key_facts(Read(figures=[young], population_catalogue="mid2020", area_m2=4.5e6, related=[]), people)
    >>> facts.area_km2, facts.density, [(b.title, b.share) for b in facts.age_bands]
    (4.5, 2000.0, [('Aged 0 to 15', 0.2)])
    """
    bands = []
    if population:
        for fig in data.figures:
            ind = fig.indicator
            if ind.get("role") != "age band" or ind["catalogue"] != data.population_catalogue or not fig.available:
                continue
            value = (fig.own or {}).get("value")
            share = value / population.value if population.value and value is not None else None
            bands.append(AgeBand(fig.id, ind["title"], value, share, fig.period))
    km2 = data.area_m2 / 1e6
    people = population.value if population else None
    counts = {g.set_name: g.count("contains") for g in data.related}
    return KeyFacts(population, tuple(bands), round(km2, 2), round(people / km2, 1) if people else None,
                    {k: v for k, v in counts.items() if v})


def themes(figures: Sequence[FigureReading], parent: ParentArea | None,
           releases: frozenset[str] = frozenset()) -> tuple[Theme, ...]:
    """Each indicator's latest release by theme (themes in alphabetical order), leaving out unavailable ones.

    >>> fig = FigureReading(id="smoking", indicator={"title": "Smoking", "description": None, "type": "proportion",
    ...     "unit": "%", "polarity": "low is good", "source": "Survey", "licence": None, "theme": "Health"},
    ...     available=True, period="2024", periods=("2024",), display_factor=100.0, weights="nested", placement=(),
    ...     own={"value": 0.2}, borough=None, england=None, values=np.array([0.2]))
    >>> [(t.theme, [i.id for i in t.indicators]) for t in themes([fig], None)]
    [('Health', ['smoking'])]
    """
    by_theme: dict[str, list[IndicatorFigure]] = {}
    for fig in figures:
        if fig.latest and fig.available:
            by_theme.setdefault(fig.indicator["theme"], []).append(indicator_figure(fig, parent, releases))
    return tuple(Theme(theme, tuple(items)) for theme, items in sorted(by_theme.items()))


def indicator_figure(fig: FigureReading, parent: ParentArea | None,
                     releases: frozenset[str] = frozenset()) -> IndicatorFigure:
    """One indicator's line: the area's figure, its comparators, spread and trend.

    Examples
    --------
    >>> fig = FigureReading(id="smoking", indicator={"title": "Smoking", "description": None, "type": "proportion",
    ...     "unit": "%", "polarity": "lower is better", "source": "Survey", "licence": None, "theme": "Health"},
    ...     available=True, period="2024", periods=("2024",), display_factor=100.0, weights="nested", placement=(),
    ...     own={"value": 0.2, "lower": 0.18, "upper": 0.22, "comparison": "better"},
    ...     borough={"value": 0.25, "lower": 0.24, "upper": 0.26}, england=None, values=np.array([0.1, 0.2, 0.3]),
    ...     parent={"value": 0.15, "lower": 0.14, "upper": 0.16})
    >>> item = indicator_figure(fig, ParentArea("apb", "APBs", "apb", "A1", "North"))
    >>> item.compared_with_borough, item.compared_with_parent, item.spine.median
    ('better', 'worse', 0.2)
    """
    own = fig.own or {}
    ind = fig.indicator
    parent_figure, compared_with_parent = None, "not compared"
    if parent is not None and fig.parent:
        parent_figure = Interval(fig.parent["value"], fig.parent["lower"], fig.parent["upper"])
        if ind["type"] != "count" and own.get("lower") is not None and fig.parent["value"] is not None:
            compared_with_parent = str(compare((np.array([own["lower"]]), np.array([own["upper"]])),
                                               fig.parent["value"], polarity(ind["polarity"]))[0])
    trend, caveat = None, None
    if fig.trend is not None and len(fig.trend) > 1:
        trend = tuple(TrendPoint(t.period, t.indicator, t.release, t.value, t.lower, t.upper, t.borough, t.england)
                      for t in fig.trend)
        spans = {t.catalogue for t in fig.trend}
        caveat = RELEASES_CAVEAT if len(spans) > 1 and spans & releases else None
    return IndicatorFigure(
        id=fig.id, title=ind["title"], description=ind["description"], type=ind["type"], unit=ind["unit"],
        polarity=ind["polarity"], period=fig.period, periods=tuple(fig.periods),
        series=ind.get("series") or fig.id, role=ind.get("role"), display_factor=fig.display_factor,
        source=ind["source"], licence=ind["licence"], value=own.get("value"), lower=own.get("lower"),
        upper=own.get("upper"), numerator=own.get("numerator"), denominator=own.get("denominator"),
        method=own.get("method"), interval_method=own.get("interval_method") or None,
        borough=fig.borough and Interval(fig.borough["value"], fig.borough["lower"], fig.borough["upper"]),
        compared_with_borough=own.get("comparison", "not compared"),
        england=fig.england and EnglandFigure(fig.england["value"], fig.england["method"]),
        compared_with_england=own.get("compared_with_england", "not compared"),
        parent=parent_figure, compared_with_parent=compared_with_parent, spine=spine(fig.values),
        trend=trend, trend_caveat=caveat, ranks=fig.ranks)


def spine(values) -> Spine | None:
    """Minimum, quartiles and maximum of the set's finite values (none with fewer than three), as
    :func:`numpy.percentile` works them out (linear interpolation), without its overhead on a few values.

    >>> spine([1.0, 2.0, np.nan, 3.0, 5.0]).q75
    3.5
    >>> spine([1.0, 2.0]) is None
    True
    """
    values = np.asarray(values, dtype=float)
    ordered = np.sort(values[np.isfinite(values)]).tolist()
    n = len(ordered)
    if n < 3:
        return None
    return Spine(n, ordered[0], _quantile(ordered, 0.25), _quantile(ordered, 0.5), _quantile(ordered, 0.75),
                 ordered[-1])


def _quantile(ordered: list[float], q: float) -> float:
    """numpy's linear interpolation between the two nearest ranks (its lerp, turned round above halfway)."""
    position = q * (len(ordered) - 1)
    below = int(position)
    t = position - below
    a, b = ordered[below], ordered[min(below + 1, len(ordered) - 1)]
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def ranked_group(related: Sequence[RelatedSet]) -> RelatedSet | None:
    """The set of finer areas to rank: the first of :data:`RANK_KINDS` with more than one area inside.

    >>> from layers.profile_input import RelatedArea
    >>> wards = RelatedSet("wards", "Wards", "ward", "Ward", (RelatedArea("W1", "One", "contains", 1.0, 0.5),
    ...                                                      RelatedArea("W2", "Two", "contains", 1.0, 0.5)))
    >>> ranked_group([wards]).set
    'wards'
    """
    by_kind = {g.kind: g for g in related}
    return next((by_kind[k] for k in RANK_KINDS if k in by_kind and by_kind[k].count("contains") > 1), None)


def default_rank(figures: Sequence[FigureReading]) -> str:
    """The indicator to rank sub-areas by: the latest IMD score (by its domain), else the first judged rate,
    else the first indicator.

    >>> def reading(i, kind, polarity):
    ...     return FigureReading(id=i, indicator={"type": kind, "polarity": polarity}, available=True, period=None,
    ...                          periods=(), display_factor=1.0, weights="", placement=(), own=None, borough=None,
    ...                          england=None, values=np.array([]))
    >>> default_rank([reading("people", "count", "neither"), reading("smoking", "proportion", "lower is better")])
    'smoking'
    """
    latest = [f for f in figures if f.latest]
    imd = [f.id for f in latest if f.indicator.get("domain") == "IMD" and f.indicator["type"] == "score"]
    judged = [f.id for f in latest if f.indicator["type"] in ("proportion", "rate", "score")
              and polarity(f.indicator["polarity"]) != "no_judgement"]
    return next(iter(imd + judged + [f.id for f in latest]))


def ranked(reading: RankingReading | None) -> SubAreas | None:
    """The ranked table: highest value first, areas without a value last.

    >>> rows = ({"code": "a", "value": 1.0}, {"code": "b", "value": None}, {"code": "c", "value": 3.0})
    >>> [r.code for r in ranked(RankingReading("wards", "Wards", {"id": "imd"}, "2025", 1.0, rows)).rows]
    ['c', 'a', 'b']
    """
    if reading is None:
        return None
    rows = sorted(reading.rows, key=lambda r: (r.get("value") is None, -(r.get("value") or 0)))
    return SubAreas(reading.set, reading.set_name, reading.indicator, reading.period, reading.display_factor,
                    tuple(RankedRow(r["code"], r.get("name"), r.get("value"), r.get("lower"), r.get("upper"),
                                    r.get("comparison")) for r in rows))


def groups(found: Mapping[str, Any]) -> dict[str, Any]:
    """The groups section: the counts of groups based in the area first, then what coverage found.

    >>> found = groups({"based": {"all": 3, "by_theme": {"Health": 2, "Sport": 0}, "small": 1}, "serving": 5})
    >>> found["count"], found["by_theme"], found["serving"]
    (3, {'Health': 2}, 5)
    """
    based = found["based"]
    return {"count": based["all"], "by_theme": {t: n for t, n in based["by_theme"].items() if n},
            "small": based["small"]} | dict(found)


def sources(figures: Sequence[FigureReading], empty: Sequence[tuple[str, str, str]] = ()) -> tuple[Source, ...]:
    """Each source of the figures with its periods and licence; then, once, the indicators that have no value in
    any area (``empty``: id, title, catalogue); then England's comparator.

    >>> fig = FigureReading(id="a", indicator={"source": "Census", "licence": "OGL"}, available=True,
    ...     period="2021", periods=("2021",), display_factor=1.0, weights="", placement=(), own=None,
    ...     borough=None, england=None, values=np.array([]))
    >>> sources([fig])
    (Source(source='Census', licence='OGL', periods=('2021',), not_available=None),)
    """
    seen: dict[tuple, set] = {}
    for fig in figures:
        seen.setdefault((fig.indicator["source"], fig.indicator["licence"]), set()).add(fig.period)
    out = [Source(s, lic, tuple(sorted(p for p in found if p))) for (s, lic), found in seen.items()]
    if empty:
        out.append(Source("Not available for this area (no value in any area of the data loaded): "
                          + "; ".join(f"{title} ({catalogue})" for _, title, catalogue in empty),
                          None, (), tuple(i for i, *_ in empty)))
    comparators: dict[tuple, set] = {}  # worked out from the indicator's own catalogue: its licence holds
    for fig in figures:
        if fig.england and fig.england.get("source"):
            key = (f"{fig.england['name']} comparator: {fig.england['source']}", fig.indicator["licence"])
            comparators.setdefault(key, set()).add(fig.period)
    out += [Source(text, lic, tuple(sorted(p for p in found if p))) for (text, lic), found in comparators.items()]
    return tuple(out)


def services(section: Mapping[str, Any] | None) -> Services | None:
    """The service areas section (its lines as the alignment measure made them); None for a freehand area.

    >>> services({"direction": "serving", "ignore_slivers": True, "lines": [], "method": ["By postcodes."]})
    Services(direction='serving', ignore_slivers=True, lines=(), method=('By postcodes.',))
    >>> services(None) is None
    True
    """
    if section is None:
        return None
    return Services(section["direction"], section["ignore_slivers"], tuple(section["lines"]),
                    tuple(section["method"]))


def deprivation(section: Mapping[str, Any]) -> Deprivation:
    """The deprivation section from its parts as summarised: the latest release, earlier ones as its trend, and
    the caveat on comparing.

    >>> part = {"release": "IoD2025", "period": "2025", "measures": [{"id": "score", "label": "Average score"}],
    ...         "source": "MHCLG", "method": "Population-weighted", "summary": [], "deciles": [], "districts": 296,
    ...         "notes": []}
    >>> section = deprivation(part | {"earlier": [part | {"release": "IoD2019", "period": "2019"}], "caveat": "c"})
    >>> section.release, [e.release for e in section.earlier], section.measures[0].label
    ('IoD2025', ['IoD2019'], 'Average score')
    """
    return Deprivation(**_release(section), earlier=tuple(DeprivationRelease(**_release(e))
                                                          for e in section["earlier"]),
                       caveat=section["caveat"])


def _release(section: Mapping[str, Any]) -> dict:
    return {"release": section["release"], "period": section["period"],
            "measures": tuple(Measure(m["id"], m["label"]) for m in section["measures"]),
            "source": section["source"], "method": section["method"],
            "summary": tuple(DeprivationRow(**{k: v for k, v in row.items() if k != "ranks"},
                                            ranks=row.get("ranks") and DistrictRanks(**row["ranks"]))
                             for row in section["summary"]),
            "deciles": tuple(DecileShares(d["domain"], d["label"], d["population"], tuple(d["shares"]))
                             for d in section["deciles"]),
            "districts": section["districts"], "notes": tuple(section["notes"])}
