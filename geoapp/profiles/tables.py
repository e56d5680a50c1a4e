"""A profile's tables as rows for CSV and XLSX downloads, each with its sources and method."""
from __future__ import annotations

from ..errors import NotFound

TABLES = ("indicators", "deprivation", "sub-areas", "groups")


def table(profile: dict, name: str) -> tuple[list[dict], list[tuple[str, str]], list[tuple[str, str]]]:
    """Rows, columns (key, heading) and "about" lines of one of :data:`TABLES`."""
    area = profile["area"]
    about = [("Area", f"{area['name']} ({area['kind_name']}, code {area['code']})"),
             ("Geography", area["set"]["name"] or "Freehand area"),
             ("Method", profile["method"] or "not available"),
             ("Produced", profile["produced"]),
             *[("Source", f"{s['source']} ({', '.join(s['periods'])}). {s['licence'] or ''}".strip())
               for s in profile["sources"]]]
    if name == "indicators":
        rows = [{"theme": t["theme"], "indicator": i["id"], "title": i["title"], "period": i["period"],
                 "unit": i["unit"], "value": i["value"], "lower": i["lower"], "upper": i["upper"],
                 "numerator": i["numerator"], "denominator": i["denominator"],
                 "borough": (i["borough"] or {}).get("value"), "compared_with_borough": i["compared_with_borough"],
                 "parent": (i["parent"] or {}).get("value"), "compared_with_parent": i["compared_with_parent"],
                 "method": i["method"], "interval_method": i["interval_method"], "source": i["source"]}
                for t in profile["themes"] for i in t["indicators"]]
        columns = [("theme", "Theme"), ("indicator", "Indicator id"), ("title", "Indicator"), ("period", "Period"),
                   ("unit", "Unit"), ("value", "Value"), ("lower", "95% lower"), ("upper", "95% upper"),
                   ("numerator", "Numerator"), ("denominator", "Denominator"), ("borough", "Borough value"),
                   ("compared_with_borough", "Compared with the borough"),
                   ("parent", f"{(profile['parent'] or {}).get('name', 'Parent area')} value"),
                   ("compared_with_parent", "Compared with the parent area"), ("method", "Method"),
                   ("interval_method", "Interval method"), ("source", "Source")]
        return rows, columns, about + [("Note", "Proportions are fractions (0.25 is 25%).")]
    if name == "deprivation" and profile.get("deprivation"):
        d = profile["deprivation"]
        rows = [{k: row[k] for k in ("label", "lsoas", "population", *(m["id"] for m in d["measures"]), "notes")}
                for row in d["summary"]]
        columns = [("label", "Index or domain"), ("lsoas", "LSOAs"), ("population", "Population"),
                   *[(m["id"], m["label"]) for m in d["measures"]], ("notes", "Notes")]
        return rows, columns, about + [("Deprivation source", d["source"]), ("Deprivation method", d["method"])]
    if name == "sub-areas" and profile.get("sub_areas"):
        s = profile["sub_areas"]
        rows = [dict(r, rank=n) for n, r in enumerate(s["rows"], start=1)]
        columns = [("rank", "Rank"), ("code", "Code"), ("name", "Area"), ("value", s["indicator"]["title"]),
                   ("lower", "95% lower"), ("upper", "95% upper"), ("comparison", "Compared with the borough")]
        return rows, columns, about + [("Ranked by", f"{s['indicator']['title']}, {s['period']}")]
    if name == "groups":
        rows = profile["groups"]["items"]
        return rows, [("name", "Group"), ("group_type", "Type")], about
    raise NotFound(f"This profile has no table called '{name}'.")
