"""A profile's tables as rows for CSV and XLSX downloads, each with its sources and method."""
from __future__ import annotations

from layers.profile import Profile

from ..errors import NotFound

TABLES = ("indicators", "deprivation", "sub-areas", "groups")


#: The rank columns of the indicators table: among the set (in England, or loaded), then within the district.
RANK_COLUMNS = [("rank", "Rank in the set"), ("rank_joint", "Joint rank in the set"),
                ("rank_of", "Areas ranked in the set"), ("rank_among", "Ranked among"),
                ("district_rank", "Rank in the district"), ("district_rank_joint", "Joint rank in the district"),
                ("district_rank_of", "Areas ranked in the district"),
                ("district_rank_among", "Ranked among (district)"), ("rank_first", "Rank 1 is")]
RANKS = ("Rank 1 is the most deprived, or the worst where the indicator says which way is worse (else the "
         "highest); areas with the same value share the better place; areas without a value are not ranked. "
         "'in England' ranks among every area of the set in England; 'loaded' among those this store holds.")


def _ranks(ranks) -> dict:
    """An indicator's ranks as the table's rank columns (blank where the area has none)."""
    out = {}
    for rank in ranks:
        prefix = "district_" if rank.scope == "district" else ""
        out |= {f"{prefix}rank": rank.position, f"{prefix}rank_joint": rank.tied, f"{prefix}rank_of": rank.of,
                f"{prefix}rank_among": rank.among, "rank_first": rank.first}
    return out


def has_table(profile: Profile, name: str) -> bool:
    """Whether the profile has rows for the table (deprivation and sub-areas only for some areas)."""
    return {"deprivation": profile.deprivation, "sub-areas": profile.sub_areas}.get(name, True) is not None


def table(profile: Profile, name: str) -> tuple[list[dict], list[tuple[str, str]], list[tuple[str, str]]]:
    """Rows, columns (key, heading) and "about" lines of one of :data:`TABLES`."""
    area = profile.area
    about = [("Area", f"{area.name} ({area.kind_name}, code {area.code})"),
             ("Geography", area.set["name"] or "Freehand area"),
             ("Method", profile.method or "not available"),
             ("Produced", profile.produced),
             *[("Source", f"{s.source} ({', '.join(s.periods)}). {s.licence or ''}".strip())
               for s in profile.sources]]
    against = profile.borough
    district = against is not None and against.role == "district"
    if district:
        about.append(("Compared with", f"{against.name} ({against.code}), the district holding the area"))
    if name == "indicators":
        rows = [{"theme": t.theme, "indicator": i.id, "title": i.title, "period": i.period,
                 "unit": i.unit, "value": i.value, "lower": i.lower, "upper": i.upper,
                 "numerator": i.numerator, "denominator": i.denominator,
                 "borough": i.borough and i.borough.value, "compared_with_borough": i.compared_with_borough,
                 "parent": i.parent and i.parent.value, "compared_with_parent": i.compared_with_parent,
                 "method": i.method, "interval_method": i.interval_method, "source": i.source}
                | _ranks(i.ranks) for t in profile.themes for i in t.indicators]
        columns = [("theme", "Theme"), ("indicator", "Indicator id"), ("title", "Indicator"), ("period", "Period"),
                   ("unit", "Unit"), ("value", "Value"), ("lower", "95% lower"), ("upper", "95% upper"),
                   ("numerator", "Numerator"), ("denominator", "Denominator"),
                   ("borough", f"{against.name} value" if district else "Borough value"),
                   ("compared_with_borough", f"Compared with {against.words if against else 'the borough'}"),
                   ("parent", f"{profile.parent.name if profile.parent else 'Parent area'} value"),
                   ("compared_with_parent", "Compared with the parent area"), ("method", "Method"),
                   ("interval_method", "Interval method"), ("source", "Source"), *RANK_COLUMNS]
        return rows, columns, about + [("Note", "Proportions are fractions (0.25 is 25%)."), ("Ranks", RANKS)]
    if name == "deprivation" and profile.deprivation:
        d = profile.deprivation
        keys = ("label", "lsoas", "population", *(m.id for m in d.measures), "notes")
        rows = [{k: getattr(row, k) for k in keys} for row in d.summary]
        columns = [("label", "Index or domain"), ("lsoas", "LSOAs"), ("population", "Population"),
                   *[(m.id, m.label) for m in d.measures], ("notes", "Notes")]
        return rows, columns, about + [("Deprivation source", d.source), ("Deprivation method", d.method)]
    if name == "sub-areas" and profile.sub_areas:
        s = profile.sub_areas
        rows = [{"code": r.code, "name": r.name, "value": r.value, "lower": r.lower, "upper": r.upper,
                 "comparison": r.comparison, "rank": n} for n, r in enumerate(s.rows, start=1)]
        columns = [("rank", "Rank"), ("code", "Code"), ("name", "Area"), ("value", s.indicator["title"]),
                   ("lower", "95% lower"), ("upper", "95% upper"),
                   ("comparison", f"Compared with {'their district' if district else 'the borough'}")]
        return rows, columns, about + [("Ranked by", f"{s.indicator['title']}, {s.period}")]
    if name == "groups":
        rows = profile.groups["items"]
        return rows, [("name", "Group"), ("group_type", "Type")], about
    raise NotFound(f"This profile has no table called '{name}'.")
