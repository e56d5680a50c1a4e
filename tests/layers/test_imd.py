"""IoD2019 summary measures for groups of LSOAs, checked against MHCLG's published district figures.

Expected district values are MHCLG's published IoD2019 File 10 ("Local Authority District
Summaries (lower-tier)") figures, as stored in the public repository humaniverse/IMD:

    data-raw/imd_england_lad.csv at commit b432a88da5976e96ba64484589815a2f34638242

That CSV is written by data-raw/imd_england_lad.R (commit 9561c0229d9c5e2082460d4b5c1634aea4a2f2b8),
which reads File_10_-_IoD2019_Local_Authority_District_Summaries__lower-tier__.xlsx and keeps,
unchanged, "IMD - Average score", "IMD - Proportion of LSOAs in most deprived 10% nationally",
"IMD 2019 - Extent" and each domain's "- Average score" and "- Proportion of LSOAs in most
deprived 10% nationally".  File 10 publishes scores to 3 decimal places and proportions and
extent to 4.

Published rankings used below:
* MHCLG, English Indices of Deprivation 2019 Statistical Release (26 September 2019), key
  findings: "Middlesbrough, Liverpool, Knowsley, Kingston upon Hull and Manchester are the local
  authorities with the highest proportions of neighbourhoods among the most deprived in England".
* Blackpool JSNA, "Deprivation" (blackpooljsna.org.uk, modified 12/03/2020), quoting IoD2019:
  Blackpool is "the most deprived Local Authority based on the ... rank of average score measure",
  "has the 6th highest proportion of LSOA's ranked in the 10% most deprived" and "39 of 94
  Blackpool LSOAs are in the 10% most deprived in the country".

No published copy of File 10's "Average rank" and "Local concentration" columns could be found
in the stored sources, so those two measures are tested on hand-computed cases from the
technical report's definitions (and for internal consistency on the real data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layers import imd as imd_module
from layers.imd import (
    DOMAINS,
    TOTAL_POPULATION,
    WORKING_AGE,
    extent_weight,
    national_percentile,
    summarise,
    summary_for,
)
from layers.weights import lookup_weights

LAD = "Local Authority District code (2019)"
DOMAIN_ORDER = ["Education", "Health", "Crime", "Barriers", "Living Environment"]

# code: (IMD score, IMD proportion, IMD extent, Income score, Income proportion,
#        Employment score, Employment proportion, then proportions for DOMAIN_ORDER)
PUBLISHED = {
    "E06000050": (18.083, 0.0755, 0.1578, 0.108, 0.0802, 0.095, 0.0991, 0.1085, 0.1038, 0.0283, 0.0377, 0.033),
    "E06000001": (35.037, 0.3621, 0.4973, 0.228, 0.3793, 0.185, 0.431, 0.2069, 0.3621, 0.3276, 0, 0),
    "E06000002": (40.46, 0.4884, 0.571, 0.251, 0.5, 0.191, 0.4884, 0.3953, 0.5698, 0.4535, 0, 0),
    "E06000009": (45.039, 0.4149, 0.5766, 0.247, 0.3617, 0.209, 0.4362, 0.2553, 0.6702, 0.3617, 0, 0.4043),
    "E06000049": (14.475, 0.0171, 0.0852, 0.083, 0.0085, 0.075, 0.0214, 0.0385, 0.0385, 0.0385, 0.0726, 0.0812),
    "E08000012": (42.412, 0.4866, 0.6213, 0.235, 0.4463, 0.176, 0.4799, 0.2483, 0.6577, 0.2416, 0.0034, 0.4597),
    "E09000002": (32.768, 0.0364, 0.4724, 0.194, 0.0455, 0.117, 0, 0, 0.0091, 0.1455, 0.9364, 0.0364),
}
# Extent is where the percentile convention shows; more districts where a near miss would round differently.
PUBLISHED_EXTENT = {
    "E06000004": 0.3024, "E06000010": 0.5505, "E06000014": 0.054, "E06000018": 0.5235,
    "E06000021": 0.5073, "E06000036": 0.0025, "E06000040": 0.0005, "E07000131": 0.0009, "E07000153": 0.1531,
}

# File 10 scores are means of unrounded LSOA scores; File 7 publishes LSOA scores to 3 d.p., so a mean
# of them may differ from the published figure by the published rounding plus the inputs' rounding.
SCORE_TOLERANCE = 0.0005 + 0.0005


@pytest.fixture(scope="module")
def districts(iod2019) -> pd.DataFrame:
    groups = iod2019.set_index("LSOA code (2011)")[LAD]
    return summarise(iod2019, groups, ranks=True).set_index(["area", "domain"])


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_district_measures_match_published_file_10(districts, code):
    expected = PUBLISHED[code]
    imd, income, employment = (districts.loc[(code, d)] for d in ("IMD", "Income", "Employment"))
    assert abs(imd["average_score"] - expected[0]) <= SCORE_TOLERANCE
    assert round(imd["proportion_most_deprived_10pc"], 4) == expected[1]
    assert round(imd["extent"], 4) == expected[2]
    assert abs(income["average_score"] - expected[3]) <= SCORE_TOLERANCE
    assert round(income["proportion_most_deprived_10pc"], 4) == expected[4]
    assert abs(employment["average_score"] - expected[5]) <= SCORE_TOLERANCE
    assert round(employment["proportion_most_deprived_10pc"], 4) == expected[6]
    for domain, value in zip(DOMAIN_ORDER, expected[7:], strict=True):
        assert round(districts.loc[(code, domain), "proportion_most_deprived_10pc"], 4) == value, domain


def test_cheshire_west_and_chester_matches_to_the_published_precision(districts):
    row = districts.loc[("E06000050", "IMD")]
    assert (
        round(row["average_score"], 3),
        round(row["proportion_most_deprived_10pc"], 4),
        round(row["extent"], 4),
    ) == (18.083, 0.0755, 0.1578)
    assert row["lsoas"] == 212 and round(districts.loc[("E06000050", "Employment"), "average_score"], 3) == 0.095


@pytest.mark.parametrize("code", sorted(PUBLISHED_EXTENT))
def test_extent_uses_national_percentiles_of_rank(districts, code):
    assert round(districts.loc[(code, "IMD"), "extent"], 4) == PUBLISHED_EXTENT[code]


def test_employment_scores_are_weighted_by_working_age_population(iod2019):
    hartlepool = iod2019[iod2019[LAD] == "E06000001"]
    d = DOMAINS["Employment"]
    by_total = np.average(hartlepool[d.score], weights=hartlepool[TOTAL_POPULATION])
    by_working_age = np.average(hartlepool[d.score], weights=hartlepool[WORKING_AGE])
    assert round(by_working_age, 3) == 0.185 != round(by_total, 3)  # published: 0.185
    assert summary_for(iod2019.set_index("LSOA code (2011)"), hartlepool["LSOA code (2011)"], domain="Employment")[
        "average_score"
    ] == pytest.approx(by_working_age)


def test_published_rankings_of_districts(districts):
    imd = districts.xs("IMD", level="domain")
    top5 = set(imd.nsmallest(5, "rank_of_proportion_most_deprived_10pc").index)
    assert top5 == {"E06000002", "E08000012", "E08000011", "E06000010", "E08000003"}
    blackpool = imd.loc["E06000009"]
    assert blackpool["rank_of_average_score"] == 1
    assert blackpool["rank_of_proportion_most_deprived_10pc"] == 6
    assert round(blackpool["proportion_most_deprived_10pc"] * blackpool["lsoas"]) == 39 and blackpool["lsoas"] == 94
    assert len(imd) == 317


def test_measures_without_data_are_not_available_not_zero(districts):
    education = districts.loc[("E06000050", "Education")]
    assert np.isnan(education["average_score"])
    assert "no Education scores in the data: average score not available" in education["notes"]
    assert np.isfinite(education["average_rank"]) and np.isfinite(education["extent"])  # ranks are present
    # Since 2026-12-06 the data holds IDACI ranks and deciles (File 3) but still no IDACI scores.
    idaci = districts.loc[("E06000050", "IDACI")]
    assert np.isnan(idaci["average_score"])
    assert "no IDACI scores in the data: average score not available" in idaci["notes"]
    for measure in ("average_rank", "proportion_most_deprived_10pc", "extent", "local_concentration"):
        assert np.isfinite(idaci[measure]), measure


def test_idaci_rank_measures_are_weighted_by_children(iod2019):
    """The IDACI average rank is the mean rank turned round, weighted by children aged 0-15 (File 6)."""
    d = DOMAINS["IDACI"]
    cwac = iod2019[iod2019[LAD] == "E06000050"]
    expected = np.average(32_845 - cwac[d.rank], weights=cwac[d.population])
    by_everyone = np.average(32_845 - cwac[d.rank], weights=cwac[TOTAL_POPULATION])
    got = districts_of(iod2019, ["IDACI"]).loc[("E06000050", "IDACI"), "average_rank"]
    assert got == pytest.approx(expected) and abs(got - by_everyone) > 1


def districts_of(iod, domains):
    return summarise(iod, iod.set_index("LSOA code (2011)")[LAD], domains=domains).set_index(["area", "domain"])


# ------------------------------------------------------------------------------- definitions by hand


def tiny(ranks, pops, scores=None, n=1000):
    d = DOMAINS["IMD"]
    frame = pd.DataFrame(
        {
            d.rank: ranks,
            d.decile: np.ceil(np.asarray(ranks) * 10 / n),
            d.score: scores if scores is not None else np.zeros(len(ranks)),
            TOTAL_POPULATION: pops,
        },
        index=[f"L{i}" for i in range(len(ranks))],
    )
    return frame


def test_average_rank_is_population_weighted_on_the_most_deprived_is_highest_scale():
    frame = tiny([1, 500, 1000], [100, 100, 200])
    out = summary_for(frame, frame.index, n_lsoas=1000)
    assert out["average_rank"] == pytest.approx((1000 * 100 + 501 * 100 + 1 * 200) / 400)


def test_local_concentration_takes_exactly_ten_percent_of_the_population():
    # 10% of 2000 people = 200: all 150 of the most deprived LSOA and 50 of the next
    frame = tiny([10, 20, 900], [150, 850, 1000])
    out = summary_for(frame, frame.index, n_lsoas=1000)
    assert out["local_concentration"] == pytest.approx((991 * 150 + 981 * 50) / 200)
    # brute force: rank every person, average the reversed ranks of the most deprived 10% of people
    people = np.repeat([991, 981, 101], [150, 850, 1000])
    assert out["local_concentration"] == pytest.approx(np.sort(people)[::-1][:200].mean())


def test_extent_and_proportion_follow_the_technical_report():
    n = 1000  # percentile p covers ranks 10(p-1)+1 .. 10p
    assert national_percentile([10, 11, 100, 101, 300, 301], n).tolist() == [1, 2, 10, 11, 30, 31]
    assert extent_weight([100, 101, 200, 300, 301], n).tolist() == pytest.approx(
        [1, 0.95, 0.95 - 9 * 0.9 / 19, 0.05, 0])
    frame = tiny([50, 150, 250, 800], [100, 100, 100, 100])
    out = summary_for(frame, frame.index, n_lsoas=n)
    assert out["proportion_most_deprived_10pc"] == 0.25
    assert out["extent"] == pytest.approx((1 + (0.95 - 4 * 0.9 / 19) + (0.95 - 14 * 0.9 / 19) + 0) / 4)


def test_missing_ranks_in_a_group_make_its_rank_measures_unavailable():
    frame = tiny([10, 20, 30], [100, 100, 100], scores=[30.0, 20.0, 10.0])
    frame.iloc[1, frame.columns.get_loc(DOMAINS["IMD"].rank)] = np.nan
    out = summarise(frame, {"L0": "A", "L1": "A", "L2": "B"}, domains=["IMD"], n_lsoas=1000).set_index("area")
    assert np.isnan(out.loc["A", "average_rank"]) and np.isnan(out.loc["A", "local_concentration"])
    assert np.isnan(out.loc["A", "extent"]) and out.loc["A", "average_score"] == 25.0
    assert "1 LSOA(s) without a IMD rank" in out.loc["A", "notes"]
    assert np.isfinite(out.loc["B", "local_concentration"]) and out.loc["B", "notes"] == ""


def test_split_lsoas_count_with_their_share_of_population():
    frame = tiny([10, 900], [1000, 1000], scores=[40.0, 10.0])
    weights = lookup_weights({"L0": "A", "L1": "B"}, source_unit="LSOA")
    half = type(weights)(
        weights.matrix.multiply(0.5).tocsr()
        + lookup_weights({"L0": "B", "L1": "A"}, target_codes=["A", "B"]).matrix.multiply(0.5),
        weights.source_codes,
        weights.target_codes,
        "area",
    )
    out = summarise(frame, half, domains=["IMD"], n_lsoas=1000).set_index("area")
    assert out.loc["A", "average_score"] == 25.0 and out.loc["A", "lsoas"] == 1.0
    assert out.loc["A", "proportion_most_deprived_10pc"] == 0.5 and out.loc["A", "population"] == 1000


def test_unknown_domains_are_refused():
    frame = tiny([1], [1])
    with pytest.raises(ValueError, match="unknown domain"):
        summarise(frame, {"L0": "A"}, domains=["Happiness"])


# ------------------------------------------------------------------------------- IoD2025 (2021 LSOAs)

LAD24 = "Local Authority District code (2024)"
# MHCLG, English Indices of Deprivation 2025, File 10 (Local Authority District Summaries, lower-tier), v1 of
# 30 October 2025, as re-published unchanged in traffordDataLab/open_data (commit 3fcf109b,
# IndicesOfDeprivation/IoD2025/local_authority_district/indices_of_deprivation_2025_lad.csv: average rank,
# average score, proportion in the most deprived 10%, with their ranks) and in matthewgthomas/deprivation-
# explorer (commit 210ce6f7, data/imd_lad.csv, a dump of humaniverse/IMD's imd2025_england_ltla24, which adds
# extent and local concentration); the two agree on every figure they share. File 10 v2 (17 November 2025,
# an LSOA-to-district lookup correction) gives the same scores for Cheshire West and Chester (checked in
# SIRSAZOFDUCK/IMD2025_subICB_scores, validation_vs_file1011_la_detail.csv: Living Environment 16.369, 222
# LSOAs). Published precision: scores 3 d.p., proportions and extent 4 d.p., ranks and local concentration 2 d.p.
PUBLISHED_2025 = {  # code: {domain: (average score, average rank, proportion, extent, local concentration)}
    "E06000050": {"IMD": (17.736, 13879.12, 0.0856, 0.1467, 31296.82), "Income": (0.183, 13468.77, 0.0586),
                  "Employment": (0.122, 15023.88, 0.0991), "Education": (18.631, 14056.61, 0.1126),
                  "Health": (-0.033, 16284.62, 0.1036), "Crime": (-0.177, 14593.17, 0.0991),
                  "Barriers": (18.903, 14180.48, 0.0405), "Living Environment": (16.369, 13590.05, 0.0405),
                  "IDACI": (0.291, 14236.96, 0.045), "IDAOPI": (0.13, 11599.59, 0.0315)},
    "E06000049": {"IMD": (14.169, 11388.25, 0.0246, 0.0952, 29412.3), "Income": (0.149, 11209.47, 0.0123),
                  "Employment": (0.1, 12226.56, 0.0205)},
}
#: Ranks among the 296 districts that need no population: the share of LSOAs in the most deprived 10%.
PUBLISHED_2025_RANK_OF_PROPORTION = {"E06000050": 98, "E06000049": 153, "E06000002": 1, "E06000001": 3,
                                     "E06000009": 6, "E08000011": 7, "E08000012": 12, "E09000002": 169}


@pytest.fixture(scope="module")
def districts_2025(iod2025) -> pd.DataFrame:
    groups = iod2025.set_index("LSOA code (2021)")[LAD24]
    frame = iod2025.set_index("LSOA code (2021)").rename(columns={
        "Total population: mid 2022": TOTAL_POPULATION,
        "Working age population 18-66 (for use with Employment Deprivation Domain): mid 2022": WORKING_AGE,
        "Dependent Children aged 0-15: mid 2022": imd_module.CHILDREN,
        "Older population aged 60 and over: mid 2022": imd_module.OLDER_PEOPLE})
    return summarise(frame, groups, n_lsoas=33_755, ranks=True).set_index(["area", "domain"])


@pytest.mark.parametrize("code", sorted(PUBLISHED_2025))
def test_iod2025_district_measures_match_published_file_10(districts_2025, code):
    for domain, expected in PUBLISHED_2025[code].items():
        row = districts_2025.loc[(code, domain)]
        assert abs(row["average_score"] - expected[0]) <= SCORE_TOLERANCE, domain
        assert round(row["average_rank"], 2) == expected[1], domain
        assert round(row["proportion_most_deprived_10pc"], 4) == expected[2], domain
        if len(expected) > 3:
            assert round(row["extent"], 4) == expected[3] and round(row["local_concentration"], 2) == expected[4]


def test_iod2025_ranks_of_the_share_in_the_most_deprived_tenth_match_published(districts_2025):
    imd = districts_2025.xs("IMD", level="domain")
    assert len(imd) == 296
    for code, rank in PUBLISHED_2025_RANK_OF_PROPORTION.items():
        assert imd.loc[code, "rank_of_proportion_most_deprived_10pc"] == rank, code
