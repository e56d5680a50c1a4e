"""Summary measures of deprivation for any group of LSOAs, as MHCLG defines them for districts.

The English Indices of Deprivation 2019 (IoD2019) publish six summary measures
for each local authority district (File 10 and the technical report).  Five of
them are computed here for any group of LSOAs — a ward, an area partnership
board, a freehand proposal — for the IMD and for each domain that has data:

``average_score``
    Population-weighted mean of the LSOAs' scores.
``average_rank``
    Population-weighted mean of the LSOAs' ranks, with the ranks turned round so
    that the most deprived LSOA in England has rank 32,844 (higher is more
    deprived), as in File 10.
``proportion_most_deprived_10pc``
    Share of the group's LSOAs in the most deprived 10% nationally (decile 1).
``extent``
    Population-weighted share of people living in the most deprived LSOAs: full
    weight for LSOAs in the most deprived 10% nationally, then a weight falling
    in equal steps from 0.95 for the 11th percentile to 0.05 for the 30th, and
    none beyond.  The national percentile of an LSOA of rank ``r`` (1 = most
    deprived) out of ``n`` is ``ceil(100 r / n)``.
``local_concentration``
    Population-weighted mean rank (turned round as for ``average_rank``) of the
    group's most deprived LSOAs that together hold exactly 10% of its population;
    the LSOA straddling the 10% line counts with the part of its population
    needed to reach it.

The population weights are the IoD2019 denominators (File 6, mid-2015,
excluding prisoners): the total population for every domain except the
Employment domain (working-age population), IDACI (children aged 0-15) and
IDAOPI (people aged 60 and over).  The sixth File 10 measure, "scale", needs
the domains' numerators and is not computed.

A measure whose inputs are absent (the score columns of the partial File 7 kept
for this project are blank for five domains) is reported as not available,
with the reason, never as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.weights import Weights

#: LSOAs in England in the IoD2019 (2011 LSOAs).
NATIONAL_LSOAS = 32_844

MEASURES = (
    "average_score",
    "average_rank",
    "proportion_most_deprived_10pc",
    "extent",
    "local_concentration",
)

#: File 10's own names for the measures, for labels and exports.
MEASURE_LABELS = {
    "average_score": "Average score",
    "average_rank": "Average rank",
    "proportion_most_deprived_10pc": "Proportion of LSOAs in most deprived 10% nationally",
    "extent": "Extent",
    "local_concentration": "Local concentration",
}

LSOA_CODE = "LSOA code (2011)"
TOTAL_POPULATION = "Total population: mid 2015 (excluding prisoners)"
CHILDREN = "Dependent Children aged 0-15: mid 2015 (excluding prisoners)"
OLDER_PEOPLE = "Older population aged 60 and over: mid 2015 (excluding prisoners)"
WORKING_AGE = "Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)"


@dataclass(frozen=True)
class Domain:
    """One index or domain of the Indices of Deprivation, named by its File 7 columns.

    ``role`` is the catalogue role of the population that weights it (see
    :data:`layers.catalogue.ROLES`); ``population`` is that population's File 7 column.

    Examples
    --------
    >>> DOMAINS["Employment"].population == WORKING_AGE, DOMAINS["Employment"].role
    (True, 'working-age population')
    """

    name: str
    score: str
    rank: str
    decile: str
    population: str = TOTAL_POPULATION
    role: str = "population"


def _domain(name: str, stem: str, score_suffix: str = "Score", population: str = TOTAL_POPULATION,
            role: str = "population") -> Domain:
    return Domain(
        name,
        f"{stem} {score_suffix}",
        f"{stem} Rank (where 1 is most deprived)",
        f"{stem} Decile (where 1 is most deprived 10% of LSOAs)",
        population,
        role,
    )


#: The IMD, its seven domains and the two supplementary indices, keyed by short name.
DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        _domain("IMD", "Index of Multiple Deprivation (IMD)"),
        _domain("Income", "Income", "Score (rate)"),
        _domain("Employment", "Employment", "Score (rate)", WORKING_AGE, "working-age population"),
        _domain("Education", "Education, Skills and Training"),
        _domain("Health", "Health Deprivation and Disability"),
        _domain("Crime", "Crime"),
        _domain("Barriers", "Barriers to Housing and Services"),
        _domain("Living Environment", "Living Environment"),
        _domain("IDACI", "Income Deprivation Affecting Children Index (IDACI)", "Score (rate)", CHILDREN,
                "children population"),
        _domain("IDAOPI", "Income Deprivation Affecting Older People (IDAOPI)", "Score (rate)", OLDER_PEOPLE,
                "older population"),
    )
}

#: The File 7 column of each population role, under which :func:`summarise` reads it.
ROLE_COLUMNS = {"population": TOTAL_POPULATION, "working-age population": WORKING_AGE,
                "children population": CHILDREN, "older population": OLDER_PEOPLE}


def national_percentile(rank, n: int = NATIONAL_LSOAS) -> np.ndarray:
    """National percentile (1 = most deprived 1%) of LSOAs with ``rank`` (1 = most deprived).

    Examples
    --------
    >>> national_percentile([1, 328, 329, 3284, 3285, 32844]).tolist()
    [1.0, 1.0, 2.0, 10.0, 11.0, 100.0]
    """
    return np.ceil(np.asarray(rank, dtype=np.float64) * 100.0 / n)


def extent_weight(rank, n: int = NATIONAL_LSOAS) -> np.ndarray:
    """Weight of an LSOA's population in the extent measure, from its national rank.

    1 in the most deprived 10% nationally; 0.95 in the 11th percentile falling by
    0.9/19 a percentile to 0.05 in the 30th; 0 beyond.

    Examples
    --------
    >>> extent_weight([1, 3284, 3285, 9853, 9854, np.nan]).round(4).tolist()
    [1.0, 1.0, 0.95, 0.05, 0.0, nan]
    """
    pct = national_percentile(rank, n)
    sliding = 0.95 - (pct - 11.0) * 0.9 / 19.0
    weight = np.where(pct <= 10, 1.0, np.where(pct <= 30, sliding, 0.0))
    return np.where(np.isfinite(pct), weight, np.nan)


def summarise(
    iod: pd.DataFrame,
    groups,
    *,
    domains=None,
    n_lsoas: int = NATIONAL_LSOAS,
    ranks: bool = False,
) -> pd.DataFrame:
    """Compute the IoD2019 summary measures for groups of LSOAs.

    Parameters
    ----------
    iod : DataFrame
        LSOA values with File 7's column names: the LSOA code (index or the
        ``"LSOA code (2011)"`` column), scores, ranks, deciles and the population
        denominators.  Not modified.
    groups : Series, mapping or Weights
        Which LSOAs make up each area: a Series or mapping from LSOA code to area
        code, or a :class:`~layers.weights.Weights` from LSOAs to areas (an LSOA
        split between areas then counts in each with its share of population).
    domains : sequence of str, optional
        Short names from :data:`DOMAINS`; default all of them.
    n_lsoas : int
        LSOAs in the national ranking (32,844 for the IoD2019).
    ranks : bool
        Also rank the areas on each measure (1 = most deprived, ties share the
        best rank), as File 10 does for districts.

    Returns
    -------
    DataFrame
        One row per area and domain: ``area``, ``domain``, the five
        :data:`MEASURES` (NaN where not available), ``lsoas`` (LSOAs counted,
        fractional for split LSOAs), ``population`` and ``notes`` (why any
        measure is not available).  With ``ranks``, a ``rank_of_<measure>``
        column per measure.

    Examples
    --------
    >>> d = DOMAINS["IMD"]
    >>> iod = pd.DataFrame({d.score: [50.0, 10.0], d.rank: [100, 20000], d.decile: [1, 7],
    ...                     TOTAL_POPULATION: [1000, 3000]}, index=["E01000001", "E01000002"])
    >>> out = summarise(iod, {"E01000001": "A", "E01000002": "A"}, domains=["IMD"])
    >>> out.loc[0, ["average_score", "average_rank", "proportion_most_deprived_10pc", "extent"]].tolist()
    [20.0, 17820.0, 0.5, 0.25]
    >>> float(out.loc[0, "local_concentration"])  # the 10% is all in the most deprived LSOA
    32745.0
    """
    frame = _indexed(iod)
    pairs = _membership(frame, groups)
    names = list(DOMAINS) if domains is None else list(domains)
    unknown = [name for name in names if name not in DOMAINS]
    if unknown:
        raise ValueError(f"unknown domain(s) {', '.join(unknown)}; use names from {', '.join(DOMAINS)}")
    areas = pd.Index(pd.unique(pairs["area"]), name="area")
    results = [_summarise_domain(frame, pairs, areas, DOMAINS[name], n_lsoas) for name in names]
    out = pd.concat(results, ignore_index=True)
    if ranks:
        for measure in MEASURES:
            out[f"rank_of_{measure}"] = out.groupby("domain")[measure].rank(ascending=False, method="min")
    return out


def summary_for(iod: pd.DataFrame, lsoa_codes, *, domain: str = "IMD", n_lsoas: int = NATIONAL_LSOAS) -> dict:
    """The summary measures of one domain for one group of LSOAs, as a dict.

    Examples
    --------
    >>> d = DOMAINS["IMD"]
    >>> iod = pd.DataFrame({d.score: [50.0, 10.0], d.rank: [100, 20000], d.decile: [1, 7],
    ...                     TOTAL_POPULATION: [1000, 3000]}, index=["E01000001", "E01000002"])
    >>> summary_for(iod, ["E01000001", "E01000002"])["average_score"]
    20.0
    """
    codes = [str(code) for code in lsoa_codes]
    out = summarise(iod, dict.fromkeys(codes, "area"), domains=[domain], n_lsoas=n_lsoas)
    row = out.iloc[0]
    return {key: (row[key] if key == "notes" else float(row[key]))
            for key in (*MEASURES, "lsoas", "population", "notes")}


# --------------------------------------------------------------------------------------- internals


def _indexed(iod: pd.DataFrame) -> pd.DataFrame:
    frame = iod.set_index(LSOA_CODE) if LSOA_CODE in iod.columns else iod
    frame = frame.copy()
    frame.index = frame.index.map(str)
    if frame.index.has_duplicates:
        raise ValueError("the deprivation table has duplicate LSOA codes")
    return frame


def _membership(frame: pd.DataFrame, groups) -> pd.DataFrame:
    """Long table: lsoa (position in frame, -1 if absent), code, area, share."""
    if isinstance(groups, Weights):
        coo = groups.matrix.tocoo()
        codes = np.asarray(groups.source_codes, dtype=object)[coo.row]
        areas = np.asarray(groups.target_codes, dtype=object)[coo.col]
        shares = coo.data
    else:
        series = pd.Series(groups) if not isinstance(groups, pd.Series) else groups
        series = series.dropna()
        codes = series.index.map(str).to_numpy(dtype=object)
        areas = series.astype(str).to_numpy(dtype=object)
        shares = np.ones(len(series))
    position = frame.index.get_indexer(codes)
    pairs = pd.DataFrame({"lsoa": position, "code": codes, "area": areas, "share": shares})
    return pairs[pairs["share"] > 0].reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str, positions: np.ndarray) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(positions), np.nan)
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out = np.full(len(positions), np.nan)
    found = positions >= 0
    out[found] = values[positions[found]]
    return out


def _column_blank(frame: pd.DataFrame, name: str) -> bool:
    return name not in frame.columns or pd.to_numeric(frame[name], errors="coerce").isna().all()


def _summarise_domain(frame, pairs, areas, domain: Domain, n: int) -> pd.DataFrame:
    pos = pairs["lsoa"].to_numpy()
    area = pairs["area"].to_numpy()
    share = pairs["share"].to_numpy()
    score = _column(frame, domain.score, pos)
    rank = _column(frame, domain.rank, pos)
    decile = _column(frame, domain.decile, pos)
    pop = _column(frame, domain.population, pos) * share
    deprived = np.where(np.isfinite(decile), decile == 1, national_percentile(rank, n) <= 10)
    deprived = np.where(np.isfinite(decile) | np.isfinite(rank), deprived.astype(np.float64), np.nan)
    reversed_rank = n + 1.0 - rank

    grouped = pd.DataFrame(
        {
            "area": area,
            "share": share,
            "pop": pop,
            "score_w": pop * score,
            "rank_w": pop * reversed_rank,
            "deprived_w": share * deprived,
            "extent_w": pop * extent_weight(rank, n),
            "absent": (pos < 0).astype(int),
            "no_pop": (~np.isfinite(pop)).astype(int),
            "no_score": (~np.isfinite(score)).astype(int),
            "no_rank": (~np.isfinite(rank)).astype(int),
            "no_decile": (~np.isfinite(deprived)).astype(int),
        }
    )
    by_area = grouped.groupby("area", sort=False)
    sums = by_area[["share", "absent", "no_pop", "no_score", "no_rank", "no_decile"]].sum().rename(
        columns={"share": "lsoas"})
    weighted = ["pop", "score_w", "rank_w", "deprived_w", "extent_w"]
    # Any NaN in a group makes that sum NaN (never a partial figure).
    totals = by_area[weighted].sum()
    complete = by_area[weighted].count().to_numpy() == by_area.size().to_numpy()[:, None]
    sums[weighted] = totals.where(complete)
    sums = sums.reindex(areas)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "area": areas,
                "domain": domain.name,
                "average_score": (sums["score_w"] / sums["pop"]).to_numpy(),
                "average_rank": (sums["rank_w"] / sums["pop"]).to_numpy(),
                "proportion_most_deprived_10pc": (sums["deprived_w"] / sums["lsoas"]).to_numpy(),
                "extent": (sums["extent_w"] / sums["pop"]).to_numpy(),
                "local_concentration": _local_concentration(area, pop, rank, reversed_rank, areas),
                "lsoas": sums["lsoas"].to_numpy(),
                "population": sums["pop"].to_numpy(),
            }
        )
    notes = []
    score_blank = _column_blank(frame, domain.score)
    rank_blank = _column_blank(frame, domain.rank)
    for name in areas:
        row = sums.loc[name]
        reasons = []
        if row["absent"]:
            reasons.append(f"{int(row['absent'])} LSOA(s) not in the deprivation table")
        if score_blank:
            reasons.append(f"no {domain.name} scores in the data: average score not available")
        elif row["no_score"]:
            reasons.append(f"{int(row['no_score'])} LSOA(s) without a {domain.name} score: "
                           "average score not available")
        if rank_blank:
            reasons.append(f"no {domain.name} ranks in the data: rank-based measures not available")
        elif row["no_rank"]:
            reasons.append(f"{int(row['no_rank'])} LSOA(s) without a {domain.name} rank: "
                           "rank-based measures not available")
        if row["no_pop"]:
            reasons.append(f"{int(row['no_pop'])} LSOA(s) without a population: weighted measures not available")
        notes.append("; ".join(reasons))
    out["notes"] = notes
    return out


def _local_concentration(area, pop, rank, reversed_rank, areas) -> np.ndarray:
    frame = pd.DataFrame({"area": area, "pop": pop, "rank": rank, "rev": reversed_rank})
    bad = frame[["pop", "rank"]].isna().any(axis=1).groupby(frame["area"], sort=False).any()
    frame = frame.dropna()
    frame = frame.sort_values(["area", "rank"], kind="stable")
    total = frame.groupby("area", sort=False)["pop"].transform("sum")
    before = frame.groupby("area", sort=False)["pop"].cumsum() - frame["pop"]
    take = np.clip(0.1 * total - before, 0.0, frame["pop"])
    frame = frame.assign(take=take, take_w=take * frame["rev"])
    sums = frame.groupby("area", sort=False)[["take", "take_w"]].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (sums["take_w"] / sums["take"]).reindex(areas)
    value[bad.reindex(areas).fillna(True).astype(bool).to_numpy()] = np.nan
    return value.to_numpy(dtype=np.float64)


def frame_from_roles(values: pd.DataFrame, declared) -> pd.DataFrame:
    """A File 7-shaped table (index: LSOA code) from values declared by role, whatever their ids or columns.

    Parameters
    ----------
    values : DataFrame
        Long values with ``indicator``, ``code`` and ``value`` (one period).
    declared : iterable of (indicator id, domain, measure, role)
        What each indicator is: an Indices of Deprivation ``domain`` (a name in :data:`DOMAINS`) with its
        ``measure`` ("score", "rank" or "decile"), or a population ``role`` (a key of :data:`ROLE_COLUMNS`).

    Returns
    -------
    DataFrame
        Columns named as in File 7 (:class:`Domain` fields and :data:`ROLE_COLUMNS`), ready for
        :func:`summarise`; an indicator with no role or domain is left out.

    Examples
    --------
    >>> long = pd.DataFrame({"indicator": ["s", "s", "p", "p"], "code": ["A", "B", "A", "B"],
    ...                      "value": [10.0, 30.0, 100.0, 300.0]})
    >>> frame = frame_from_roles(long, [("s", "IMD", "score", None), ("p", None, None, "population")])
    >>> summary_for(frame, ["A", "B"])["average_score"]
    25.0
    """
    columns = {}
    by_indicator = dict(tuple(values.groupby("indicator", sort=False)))
    for indicator_id, domain, measure, role in declared:
        if domain in DOMAINS and measure in ("score", "rank", "decile"):
            name = getattr(DOMAINS[domain], measure)
        elif role in ROLE_COLUMNS:
            name = ROLE_COLUMNS[role]
        else:
            continue
        own = by_indicator.get(indicator_id, values.iloc[:0])
        columns[name] = pd.Series(own["value"].to_numpy(dtype=np.float64), index=own["code"].map(str).to_numpy())
    frame = pd.DataFrame(columns)
    frame.index.name = LSOA_CODE
    return frame
