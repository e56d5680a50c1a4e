"""A profile's tables as rows for CSV and XLSX downloads, each with its sources and method."""
from __future__ import annotations

from layers.profile import Profile

from ..errors import NotFound

TABLES = ("indicators", "deprivation", "sub-areas", "groups")


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
    if name == "indicators":
        rows = [{"theme": t.theme, "indicator": i.id, "title": i.title, "period": i.period,
                 "unit": i.unit, "value": i.value, "lower": i.lower, "upper": i.upper,
                 "numerator": i.numerator, "denominator": i.denominator,
                 "borough": i.borough and i.borough.value, "compared_with_borough": i.compared_with_borough,
                 "parent": i.parent and i.parent.value, "compared_with_parent": i.compared_with_parent,
                 "method": i.method, "interval_method": i.interval_method, "source": i.source}
                for t in profile.themes for i in t.indicators]
        columns = [("theme", "Theme"), ("indicator", "Indicator id"), ("title", "Indicator"), ("period", "Period"),
                   ("unit", "Unit"), ("value", "Value"), ("lower", "95% lower"), ("upper", "95% upper"),
                   ("numerator", "Numerator"), ("denominator", "Denominator"), ("borough", "Borough value"),
                   ("compared_with_borough", "Compared with the borough"),
                   ("parent", f"{profile.parent.name if profile.parent else 'Parent area'} value"),
                   ("compared_with_parent", "Compared with the parent area"), ("method", "Method"),
                   ("interval_method", "Interval method"), ("source", "Source")]
        return rows, columns, about + [("Note", "Proportions are fractions (0.25 is 25%).")]
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
                   ("lower", "95% lower"), ("upper", "95% upper"), ("comparison", "Compared with the borough")]
        return rows, columns, about + [("Ranked by", f"{s.indicator['title']}, {s.period}")]
    if name == "groups":
        rows = profile.groups["items"]
        return rows, [("name", "Group"), ("group_type", "Type")], about
    raise NotFound(f"This profile has no table called '{name}'.")
