"""A comparison's tables as rows for CSV and XLSX: every indicator side by side, and the ranked indicator."""
from __future__ import annotations

from ..errors import NotFound

TABLES = ("indicators", "ranked")
NOTE = ("Note", "Values are as stored: proportions are fractions (0.25 is 25%). Compared with the {0}: better "
                "or worse (higher or lower) when the 95% interval excludes the {0}'s value, else similar.")


def table(view: dict, name: str) -> tuple[list[dict], list[tuple[str, str]], list[tuple[str, str]]]:
    """Rows, columns (key, heading) and "about" lines of one of :data:`TABLES` of a comparison."""
    against = "district" if view.get("compared_with") == "district" else "borough"
    about = [("Comparison", view["links"]["self"]),
             *[("Area", f"{a['name']} ({a['kind_name']}, {a['set_name']}, code {a['code']})") for a in view["areas"]],
             ("Borough", (view["borough"] or {}).get("name", "not loaded")),
             *[("Method", f"{m['set_name']}: {m['method']}") for m in view["methods"]],
             *[("Source", f"{s['source']} ({', '.join(s['periods'])}). {s['licence'] or ''}".strip())
               for s in view["sources"]],
             ("Produced", view["produced"]), (NOTE[0], NOTE[1].format(against))]
    if name == "indicators":
        columns = [("theme", "Theme"), ("indicator", "Indicator id"), ("title", "Indicator"), ("period", "Period"),
                   ("unit", "Unit")]
        for n, a in enumerate(view["areas"]):
            label = f"{a['name']} ({a['kind_name']})"
            columns += [(f"a{n}_value", f"{label} value"), (f"a{n}_lower", f"{label} 95% lower"),
                        (f"a{n}_upper", f"{label} 95% upper"),
                        (f"a{n}_comparison", f"{label} compared with the {against}")]
        columns += [("borough", "Borough value"), ("source", "Source")]
        rows = []
        for t in view["themes"]:
            for i in t["indicators"]:
                row = {"theme": t["theme"], "indicator": i["id"], "title": i["title"], "period": i["period"],
                       "unit": i["unit"], "borough": (i["borough"] or {}).get("value"), "source": i["source"]}
                for n, cell in enumerate(i["areas"]):
                    row |= {f"a{n}_{k}": cell[k] for k in ("value", "lower", "upper", "comparison")}
                rows.append(row)
        return rows, columns, about
    if name == "ranked" and view["ranked"]:
        r = view["ranked"]
        rows = [dict(row, rank=n, compared="yes" if row["compared"] else "") for n, row in enumerate(r["rows"], 1)]
        columns = [("rank", "Rank"), ("code", "Code"), ("name", "Area"), ("value", r["indicator"]["title"]),
                   ("lower", "95% lower"), ("upper", "95% upper"), ("comparison", f"Compared with the {against}"),
                   ("compared", "One of the areas compared")]
        return rows, columns, about + [("Ranked", f"{r['indicator']['title']}, {r['period']}, all "
                                                  f"{r['set']['name']}: {r['method']}")]
    raise NotFound(f"A comparison has no table called '{name}': choose {' or '.join(TABLES)}.")
