"""Groups by area: per 1,000 residents by theme and type, and where need is high and groups are few."""
from __future__ import annotations

from flask import Blueprint, current_app, request, url_for

from layers.classify import SCHEMES, ClassesError, classify
from layers.groups import GROUP_TYPES, THEMES

from ...api.openapi import OPTIONAL_INDICATOR, OPTIONAL_SET, one_of, query
from ...errors import InvalidInput
from ...storage import boundary_sets
from ...web.db import db_session
from ...web.exports import table_download
from ...web.guard import requires
from ...web.pages import page
from .counts import HOW, HOW_WORDS, METHOD, Coverage, area_rows, coverage
from .gaps import LEVEL, PROVISION, default_need, need_options
from .gaps import gaps as gaps_of

bp = Blueprint("group_coverage", __name__, url_prefix="/groups")

#: The geography the pages open on: the first kind loaded, in this order.
DEFAULT_KINDS = ("ward", "laf", "apb", "parish", "msoa", "lsoa", "service", "lad")
SCHEME_WORDS = {"quantiles": "Quantiles (equal numbers of areas)", "fisher_jenks": "Natural breaks (Fisher-Jenks)",
                "equal_interval": "Equal interval"}


def _by_area_context(data: dict) -> dict:
    found, choice = data["r"], data["choice"]
    return {"r": found, "choice": choice, "sets": _sets(db_session()), "themes": THEMES, "types": GROUP_TYPES,
            "schemes": SCHEME_WORDS,
            "types_shown": [t for t in GROUP_TYPES if found["borough"][choice["count"]]["by_type"][t]],
            "config": _map_config(found["geography"]["id"], {
                a["code"]: {"colour": _colour(found["classes"], a["class"]), "label": _tip(a, found)}
                for a in found["areas"]})}


@page(bp, "/by-area", template="groups/coverage.html", json=lambda data: data["r"], context=_by_area_context,
      operation_id="getGroupsByArea", summary="Published community groups based in and serving each area of a "
      "boundary set, by theme and type, per 1,000 residents, with map classes and the borough row",
      errors=("404", "422"),
      query=[query("set", "Boundary set id", OPTIONAL_SET),
             query("count", "based or serving", one_of(("based", "serving"))),
             query("theme", "A partnership theme", one_of(THEMES)),
             query("type", "A group type", one_of(GROUP_TYPES)),
             query("scheme", "How the map classes are cut", one_of(s for s in SCHEMES if s != "user")),
             query("k", "Number of classes, 2 to 9", {"type": "integer", "minimum": 2, "maximum": 9})])
@requires("read")
def by_area():
    """Groups per 1,000 residents for every area of a set, by theme and type, as a map and a table."""
    session = db_session()
    choice = _choice(session)
    return {"r": _by_area(session, choice), "choice": choice}


@bp.get("/by-area.csv", endpoint="by_area_csv", defaults={"fmt": "csv"})
@bp.get("/by-area.xlsx", endpoint="by_area_xlsx", defaults={"fmt": "xlsx"})
@requires("export_tables")
def by_area_download(fmt: str):
    """The groups-by-area table as CSV or XLSX: every count, rate and the borough total."""
    session = db_session()
    found = _by_area(session, _choice(session))
    rows = [_flat(a) for a in found["areas"]] + [_flat(found["borough"] | {"code": "borough"})]
    return table_download(rows, _columns(), filename=f"groups-by-area-{found['geography']['id']}", fmt=fmt,
                          about=_about(found, "Community groups by area"))


def _gaps_context(data: dict) -> dict:
    session, found, choice = db_session(), data["r"], data["choice"]
    return {"r": found, "choice": choice, "sets": _sets(session), "themes": THEMES, "needs": _needs(session),
            "level": LEVEL, "provision": PROVISION,
            "config": _map_config(choice["set"], {
                a["code"]: {"colour": a["colour"], "flagged": a["flagged"], "label": _gap_tip(a, found)}
                for a in found["areas"]})}


@page(bp, "/gaps", template="groups/gaps.html", json=lambda data: data["r"], context=_gaps_context,
      operation_id="getGroupGaps", summary="Need against groups per 1,000 for each area: terciles, the two-colour "
      "class, the 'high need, few groups' flag, ranked, with source, period and method",
      errors=("404", "422"),
      query=[query("set", "Boundary set id", OPTIONAL_SET),
             query("indicator", "The need indicator's id", OPTIONAL_INDICATOR),
             query("theme", "A partnership theme", one_of(THEMES)),
             query("count", "serving or based", one_of(("serving", "based")))])
@requires("read")
def gaps():
    """Where need is high and groups serving a theme are few: a bivariate map and a ranked table."""
    choice, found = _gaps(db_session())
    return {"r": found, "choice": choice}


def _gaps(session) -> tuple[dict, dict]:
    """The gap view's choices from the query, and the view they ask for."""
    choice = _gap_choice(session)
    return choice, gaps_of(session, choice["set"], choice["indicator"], theme=choice["theme"], how=choice["count"])


@bp.get("/gaps.csv", endpoint="gaps_csv", defaults={"fmt": "csv"})
@bp.get("/gaps.xlsx", endpoint="gaps_xlsx", defaults={"fmt": "xlsx"})
@requires("export_tables")
def gaps_download(fmt: str):
    """The needs-versus-provision table as CSV or XLSX, ranked as on the page."""
    _, found = _gaps(db_session())
    need = found["need"]
    columns = [("rank", "Rank"), ("code", "Code"), ("name", "Area"),
               ("need", f"{need['indicator']['title']} ({need['period']})"),
               ("need_tercile", "Need tercile (3 = high)"),
               ("groups", f"Groups {found['provision']['counted']}"), ("population", "Residents"),
               ("per_1000", "Groups per 1,000 residents"), ("provision_tercile", "Groups tercile (1 = fewest)"),
               ("class", "Class (need-groups)"), ("flagged", "High need, few groups")]
    rows = [a | {"flagged": "yes" if a["flagged"] else "no"} for a in found["areas"]]
    about = _about({"geography": found["geography"], "population": found["provision"]["population"]},
                   "High need, few groups") + [
        ("Need", f"{need['indicator']['title']}, {need['period']}. Source: {need['source']}. "
                 f"{need['licence'] or ''} Combined from LSOAs: {need['method']}. "
                 f"High need is {need['high_need_is']}."),
        ("Groups", f"{found['provision']['theme'] or 'All themes'}; groups {found['provision']['counted']}."),
        ("Terciles", found["terciles"])]
    return table_download(rows, columns, filename=f"groups-gaps-{found['geography']['id']}", fmt=fmt, about=about)


# --- request arguments -----------------------------------------------------------------------------

def _sets(session) -> list[dict]:
    return [boundary_sets.set_summary(s) for s in boundary_sets.list_sets(session)]


def _default_set(session) -> str:
    sets = boundary_sets.list_sets(session)
    if not sets:
        raise InvalidInput("No boundary sets are loaded yet, so there are no areas to count groups in.")
    ranked = sorted(sets, key=lambda s: DEFAULT_KINDS.index(s.kind) if s.kind in DEFAULT_KINDS else 99)
    return ranked[0].id


def _arg(name: str, choices, words: str) -> str | None:
    value = " ".join((request.args.get(name) or "").split())
    if not value:
        return None
    match = next((c for c in choices if c.casefold() == value.casefold()), None)
    if match is None:
        raise InvalidInput(f"{name}: '{value[:60]}' is not {words}.",
                           details=[f"{name}: choose from {', '.join(choices)}"])
    return match


def _choice(session) -> dict:
    """The page's choices from the query string (set, count, theme, type, scheme, k), checked."""
    choice = {"set": request.args.get("set") or _default_set(session),
              "count": _arg("count", HOW, "'based' or 'serving'") or "based",
              "theme": _arg("theme", THEMES, "a partnership theme"),
              "type": _arg("type", GROUP_TYPES, "a type of group"),
              "scheme": _arg("scheme", [s for s in SCHEMES if s != "user"], "a classification scheme") or "quantiles"}
    try:
        choice["k"] = int(request.args.get("k") or 5)
    except ValueError:
        raise InvalidInput("k: the number of classes must be a whole number from 2 to 9.") from None
    return choice


def _gap_choice(session) -> dict:
    return {"set": request.args.get("set") or _default_set(session),
            "indicator": request.args.get("indicator") or default_need(session),
            "theme": _arg("theme", THEMES, "a partnership theme"),
            "count": _arg("count", HOW, "'based' or 'serving'") or "serving"}


def _needs(session) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for option in need_options(session):
        grouped.setdefault(option["theme"], []).append(option)
    return dict(sorted(grouped.items()))


# --- building the answer ---------------------------------------------------------------------------

def _by_area(session, choice: dict) -> dict:
    cov = coverage(session, choice["set"])
    rows, borough = area_rows(cov, theme=choice["theme"], group_type=choice["type"])
    rows, borough = [dict(r) for r in rows], dict(borough)  # shared with the cache: add to copies
    how = choice["count"]
    values = [r[how]["chosen_per_1000"] for r in rows]
    try:
        classes = classify([float("nan") if v is None else v for v in values], scheme=choice["scheme"],
                           k=choice["k"], polarity="no_judgement")
    except ClassesError as error:
        raise InvalidInput(f"{error}") from None
    for row, cls in zip(rows, classes.pop("classes")):
        row["value"] = row[how]["chosen"]
        row["value_per_1000"] = row[how]["chosen_per_1000"]
        row["class"] = cls
    borough["value"], borough["value_per_1000"] = borough[how]["chosen"], borough[how]["chosen_per_1000"]
    return {"geography": cov.geography, "population": cov.population,
            "filters": {"count": how, "theme": choice["theme"], "type": choice["type"]},
            "measure": f"{_chosen_groups(choice)} {HOW_WORDS[how]}, per 1,000 residents",
            "chosen": _chosen_groups(choice), "method": METHOD, "themes": list(THEMES),
            "types": list(GROUP_TYPES), "areas": rows, "borough": borough, "classes": classes,
            "outside": cov.outside, "size_unknown": _size_unknown(cov, how),
            "notes": cov.notes + cov.borough_wide_note(how, theme=choice["theme"], group_type=choice["type"])}


def _size_unknown(cov: Coverage, how: str) -> int:
    """How many of the groups counted have no known size."""
    ids = cov.pairs(how)["group"].unique()
    return int(cov.groups.loc[ids, "size_class"].isna().sum())


def _chosen_groups(choice: dict) -> str:
    """The groups chosen, in words: "Groups", "Faith groups working on Children & Young People"."""
    what = f"groups of type '{choice['type']}'" if choice["type"] else "groups"
    if choice["theme"]:
        what += f" working on {choice['theme']}"
    return what[0].upper() + what[1:]


def _colour(classes: dict, cls) -> str:
    return classes["no_data"]["colour"] if cls is None else classes["colours"][cls]


def _tip(area: dict, found: dict) -> str:
    rate = area["value_per_1000"]
    return (f"{area['name']}: {area['value']} group{'s' if area['value'] != 1 else ''}, "
            + ("no population figure" if rate is None else f"{rate:.2f} per 1,000 residents"))


def _gap_tip(area: dict, found: dict) -> str:
    need = found["need"]
    value = "no data" if area["need"] is None else f"{area['need'] * need['display_factor']:,.1f}"
    rate = "no population figure" if area["per_1000"] is None else f"{area['per_1000']:.2f} per 1,000"
    words = "no class" if area["class"] is None else \
        f"{LEVEL[area['need_tercile']]} need, {PROVISION[area['provision_tercile']]} groups"
    return f"{area['name']}: {need['indicator']['title']} {value}; {area['groups']} groups, {rate} ({words})" + \
        (". High need, few groups." if area["flagged"] else "")


def _map_config(set_id: str, areas: dict) -> dict:
    return {"geojson": url_for("map.set_geojson", set_id=set_id), "areas": areas,
            "profile": url_for("profiles.show", set_id=set_id, code="CODE"),
            "basemap": current_app.config.get("ATLAS_BASEMAP_URL") or "",
            "attribution": current_app.config.get("ATLAS_BASEMAP_ATTRIBUTION") or ""}


def _columns() -> list[tuple[str, str]]:
    columns = [("code", "Code"), ("name", "Area"), ("population", "Residents"),
               ("value", "Groups chosen"), ("value_per_1000", "Groups chosen per 1,000")]
    for how, words in (("based", "based in it"), ("serving", "serving it")):
        columns += [(f"{how}_all", f"Groups {words}"), (f"{how}_per_1000", f"Groups {words} per 1,000"),
                    (f"{how}_small", f"Small groups {words}"),
                    (f"{how}_small_per_1000", f"Small groups {words} per 1,000")]
        columns += [(f"{how}_theme_{t}", f"{t}: groups {words}") for t in THEMES]
        columns += [(f"{how}_type_{t}", f"{t}: groups {words}") for t in GROUP_TYPES]
    return columns


def _flat(row: dict) -> dict:
    out = {k: row.get(k) for k in ("code", "name", "population", "value", "value_per_1000")}
    for how in HOW:
        part = row[how]
        out |= {f"{how}_all": part["all"], f"{how}_per_1000": part["per_1000"], f"{how}_small": part["small"],
                f"{how}_small_per_1000": part["small_per_1000"]}
        out |= {f"{how}_theme_{t}": n for t, n in part["by_theme"].items()}
        out |= {f"{how}_type_{t}": n for t, n in part["by_type"].items()}
    return out


def _about(found: dict, title: str) -> list[tuple[str, str]]:
    geo, pop = found["geography"], found.get("population")
    about = [("Table", title), ("Geography", f"{geo['name']} ({geo.get('vintage') or 'vintage not stated'})"),
             ("Groups", "Published community, voluntary and faith groups in the Partnership Atlas."),
             ("Method", METHOD)]
    if "measure" in found:
        about.append(("Chosen", found["measure"]))
    if pop:
        about.append(("Residents", f"{pop['title']}, {pop['period']}. Source: {pop['source']}. "
                                   f"{pop['licence'] or ''} Combined from LSOAs: {pop['method']}."))
    else:
        about.append(("Residents", "No population is loaded: no rates per 1,000."))
    return about
