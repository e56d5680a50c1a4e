"""`geoapp onboard`: write an editable manifest for any English district, county or all of England from the
shared England files, then load it as `geoapp load` would.

England's files have no district layer, so each district is dissolved from its 2011 LSOAs (ONS generalised
clipped, 20 m) by their 2019 district code, recoded where that district is now part of a merged council
(North Yorkshire, Somerset, Cumberland, Westmorland and Furness, Buckinghamshire) as the ONS 2011-to-2021
lookup and the 2021 LSOAs' LAD 2024 codes place it; one district also takes in its 2021 LSOAs (``also``), so
that both LSOA vintages nest in it exactly and its figures are MHCLG's. A county (for all of England, every
county and unitary authority) is dissolved from the same LSOAs. 2011 LSOAs the lookup cannot place in the
districts are listed.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..storage.db import Database
from .england import FILES, England, Placement, england
from .load import LoadReport, Reporter, load_manifest
from .manifest import ManifestError, read_manifest

#: The generic catalogues the manifests name (England's File 7s and the ONS mid-2020 estimates).
CATALOGUES = Path(__file__).resolve().parents[2] / "examples" / "indicators"
#: England's code, the comparator of every onboarded council.
ENGLAND = ("E92000001", "England")
LICENCE = "Contains National Statistics and OS data © Crown copyright and database right. OGL v3.0."
ATTRIBUTION = (
    "Contains National Statistics data © Crown copyright and database right 2019–2025.",
    "Contains OS data © Crown copyright and database right 2019–2025. Licensed under the Open Government "
    "Licence v3.0.",
    "English Indices of Deprivation 2019 and 2025: © Ministry of Housing, Communities and Local Government, "
    "Open Government Licence v3.0.",
)
#: Single years of age of the ONS estimates adding up to each population role of the Indices of Deprivation.
AGES = {"population": "All Ages",
        "working-age population": [str(a) for a in range(18, 67)],
        "children population": [str(a) for a in range(16)],
        "older population": [str(a) for a in range(60, 90)] + ["90+"]}
LISTED = 20


def default_data_folder() -> Path:
    """England's shared files beside the checkout: ../shared/data/england."""
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "england"


@dataclass
class Onboarding:
    """What ``geoapp onboard`` wrote and loaded."""

    code: str
    name: str
    districts: list[str]
    manifest: Path
    placement: Placement
    notes: list[str] = field(default_factory=list)
    report: LoadReport | None = None


def plan(data: str | Path, code: str | None, manifest: str | Path | None = None,
         *, instance: str | Path = "instance") -> Onboarding:
    """Resolve ``code`` (None: all of England) and write its manifest; :class:`UnknownArea` for an unknown code.

    Without ``manifest`` it is written to ``<instance>/onboard/<code>.toml``.
    """
    found = england(data)
    if not CATALOGUES.is_dir():
        raise ManifestError(f"The generic indicator catalogues are not found in {CATALOGUES}: onboard runs from a "
                            "checkout of the Atlas, whose examples/indicators folder holds them.")
    if code is None:
        chosen, name, districts = ENGLAND[0], ENGLAND[1], sorted(found.districts)
    else:
        chosen, name, districts = found.resolve(code)
    path = Path(manifest) if manifest else Path(instance) / "onboard" / f"{chosen}.toml"
    placement = found.placement(districts)
    text = manifest_text(found, chosen, name, districts, placement, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Onboarding(chosen, name, districts, path, placement, notes=placement_notes(placement))


def onboard(db: Database, data: str | Path, code: str | None, manifest: str | Path | None = None, *,
            instance: str | Path = "instance", replace: bool = False, reporter: Reporter | None = None,
            actor: str = "cli") -> Onboarding:
    """Write the manifest for ``code`` (None: every district of England) and load it, all or nothing."""
    done = plan(data, code, manifest, instance=instance)
    done.report = load_manifest(db, read_manifest(done.manifest), replace=replace, actor=actor, reporter=reporter)
    return done


def placement_notes(placement: Placement) -> list[str]:
    """The 2011 LSOAs that cannot be placed in the districts, in words (nothing dropped unsaid)."""
    notes = []
    for codes, words in ((placement.outside, "read, and dissolved, with their 2019 district, though the lookup "
                                             "places their 2021 LSOAs in another district (or in two)"),
                         (placement.missing, "whose 2021 LSOAs lie in the district but whose 2019 district is "
                                             "another: not read"),
                         (placement.unlinked, "read but in no row of the 2011-to-2021 lookup")):
        if codes:
            more = f" and {len(codes) - LISTED} more" if len(codes) > LISTED else ""
            notes.append(f"{len(codes)} LSOA(s) of 2011 {words}: {', '.join(codes[:LISTED])}{more}.")
    return notes


# --------------------------------------------------------------------------------------- the manifest text


def manifest_text(found: England, code: str, name: str, districts: list[str], placement: Placement,
                  path: Path) -> str:
    """The manifest of one district, a county's districts or all of England, with comments saying what to add."""
    base = path.resolve().parent
    data = {role: _relative(found.folder / file, base) for role, file in FILES.items()}
    catalogue = {key: _relative(CATALOGUES / f"{key}.toml", base)
                 for key in ("population-mid2020", "iod2019-england", "iod2025-england")}
    national = code == ENGLAND[0]
    county = code in found.counties
    single = len(districts) == 1
    in_districts = _in("lad24cd", districts, national)
    old_wards = [d for d in districts if d not in found.wards2024]
    lines = [
        f"# {name} ({code}): written by `geoapp onboard{' --all' if national else ' ' + code}` on "
        f"{datetime.date.today().isoformat()} from {found.folder}.",
        "# Edit it freely, then load it again with:  geoapp load " + str(path) + " --replace",
        "# File paths are relative to this manifest. See the README (\"Loading an area\", \"Onboarding a council\").",
        "#",
        "# Boundary of the district" + ("s" if not single else "") + ": England's shared files have no district "
        "layer, so it is dissolved",
        "# from its 2011 LSOAs (lsoa2011.gpkg, ONS generalised clipped, 20 m) by their 2019 district code",
        "# (lad19cd), recoded (`recode`) where a 2019 district is now part of a merged council, as the ONS",
        "# 2011-to-2021 lookup and the 2021 LSOAs' LAD 2024 codes place it. Why: the 2011 LSOAs then nest exactly",
        "# (the IoD2019 and the mid-2020 population estimates are on them) and the edges are finer than the 2021",
        "# LSOAs' or the May 2024 wards' (ONS BSC, 200 m).",
        *(["# `also` merges in the district's 2021 LSOAs (by lad24cd), so that they nest exactly too and the",
           "# IoD2025 figures are MHCLG's (the two generalisations differ along coasts and estuaries)."] if single else
          ["# With several districts the 2021 LSOAs are not merged in (neighbours would overlap): the figures say",
           "# how the 2021 LSOAs reach the districts (nesting, else apportionment by area)."]),
        "# Replace the 'lad' entry with the council's own boundary file if you have one.",
    ]
    if not national and not placement.outside and not placement.missing and not placement.unlinked:
        lines.append(f"# The {placement.read:,} LSOAs of 2011 read by their 2019 district all lie in "
                     f"{'it' if single else 'these districts'} through the ONS lookup.")
    for note in placement_notes(placement):
        lines.append("# " + note)
    lines += [
        "#",
        "# What to add next (see examples/cheshire-west-and-chester.toml for each):",
        "# - your area partnership boards (or forums) as groups of wards: a [[groupings]] entry with kind = \"apb\",",
        "#   blocks = \"wards\" and a CSV of ward_code, apb_id, apb_name;",
        "# - parishes: a [[boundaries]] entry with kind = \"parish\" naming the ONS/OS parish boundary file;",
        "# - service boundaries (police neighbourhoods, NHS sub-ICB locations, PCNs): [[boundaries]] entries with",
        "#   kind = \"service\" and a service_type;",
        "# - postcodes ([[postcodes]], OS Code-Point Open) to split LSOAs by where people live, and community groups",
        "#   ([[groups]]).",
        "",
        "[area]",
        f"name = {_q(name)}",
        f"code = {_q(code)}",
        "attribution = [",
        *[f"  {_q(line)}," for line in ATTRIBUTION],
        "]",
        "",
    ]
    lines += _boundary(
        "lad", "lad", "District" if single else "Districts", data["lsoa2011"], "lsoa2011",
        _in("lad19cd", list(placement.lad19_codes), national), "lad19cd", "lad19nm",
        "LAD May 2024 (from LSOAs)",
        "Dissolved from ONS LSOA (December 2011) generalised clipped, via martinjc/UK-GeoJSON, by their 2019 "
        "district, merged councils placed by the ONS LSOA 2011-2021 lookup" + (", with the 2021 LSOAs (BSC) merged "
                                                                                 "in" if single else ""), dissolve=True,
        recode=_merged(found, placement.lad19_codes),
        also={"file": data["lsoa2021"], "layer": "lsoa", "where": in_districts, "code_field": "lad24cd"}
        if single else None)
    lines += _boundary(
        "wards", "ward", "Wards (May 2024)", data["wards2024"], "wards",
        _in("lad_code", [d for d in districts if d in found.wards2024], national), "code", "name",
        "WD24 (May 2024)", "ONS Electoral wards (May 2024) Boundaries UK BSC, via pachadotdev/ukmaps",
        nests_in={"lad": "lad_code"} | ({"county": "county_code"} if county or national else {}))
    if old_wards:
        lines += ["# These districts have no May 2024 wards in the shared files: their 2013 wards are all there is."]
        lines += _boundary("wards2013", "ward", "Wards (2013)", data["wards2013"], "wards2013",
                           _in("lad13cd", old_wards, False), "wd13cd", "wd13nm", "WD13 (2013)",
                           "ONS electoral wards 2013, generalised clipped, via martinjc/UK-GeoJSON")
    if county or national:
        lines += _county_entry(found, code, districts, data, national)
    lines += ["# The 2011 LSOAs, read by their 2019 district (the IoD2019 and the mid-2020 estimates are on them)."]
    lines += _boundary("lsoa", "lsoa", "Lower layer super output areas (2011)", data["lsoa2011"], "lsoa2011",
                       _in("lad19cd", list(placement.lad19_codes), national), "lsoa11cd", "lsoa11nm",
                       "LSOA December 2011", "ONS LSOA (December 2011) generalised clipped, via martinjc/UK-GeoJSON")
    lines += ["# The 2021 LSOAs the IoD2025 is published on. `nests_in` (here and for the wards) links each area",
              "# wholly to the district (and county) its field names, as ONS nests them, whatever the generalisations."]
    lines += _boundary("lsoa2021", "lsoa", "Lower layer super output areas (2021)", data["lsoa2021"], "lsoa",
                       in_districts, "code", "name", "LSOA December 2021",
                       "ONS LSOA (December 2021) Boundaries EW BSC V4 (super-generalised), via humaniverse/geographr",
                       nests_in={"lad": "lad24cd"} | ({"county": "lad24cd"} if county or national else {}))
    stand_in = _stand_in(data)
    lines += [
        "# Indicators: ONS mid-2020 population estimates, and both releases of the English Indices of Deprivation,",
        "# each on its own LSOAs, read from England's tables (rows of other LSOAs are counted and not stored).",
        "[[indicators]]",
        f"catalogue = {_q(catalogue['population-mid2020'])}",
        f"file = {_q(data['population'])}",
        'set = "lsoa"',
        "",
        "[[indicators]]",
        f"catalogue = {_q(catalogue['iod2019-england'])}",
        f"file = {_q(data['iod2019'])}",
        'set = "lsoa"',
        "",
        "# IoD2025's File 7 holds MHCLG's mid-2022 denominators for Cheshire's two boroughs only: elsewhere the ONS",
        "# mid-2020 estimates, carried from 2011 to 2021 LSOAs through the lookup, weight the scores and give the",
        "# rates their denominators (the indicators' source says for how many LSOAs).",
        "[[indicators]]",
        f"catalogue = {_q(catalogue['iod2025-england'])}",
        f"file = {_q(data['iod2025'])}",
        'set = "lsoa2021"',
        "",
        *stand_in("indicators"),
        "# The ONS LSOA (2011) to LSOA (2021) lookup: U unchanged, S split, M merged, X irregular.",
        "[[lookups]]",
        f"file = {_q(data['lookup'])}",
        'from_set = "lsoa"',
        'to_set = "lsoa2021"',
        'from_column = "LSOA11CD"',
        'to_column = "LSOA21CD"',
        'change_column = "CHGIND"',
        "",
        "# England as a comparator: each IoD catalogue read again over England's File 7, every LSOA summed into",
        "# England by the same engine, and every district's summary measures ranked among all districts.",
        "[[comparators]]",
        f"catalogue = {_q(catalogue['iod2019-england'])}",
        f"file = {_q(data['iod2019'])}",
        f'code = "{ENGLAND[0]}"',
        f'name = "{ENGLAND[1]}"',
        'district_column = "Local Authority District code (2019)"',
        'district_name_column = "Local Authority District name (2019)"',
        "",
        "[[comparators]]",
        f"catalogue = {_q(catalogue['iod2025-england'])}",
        f"file = {_q(data['iod2025'])}",
        f'code = "{ENGLAND[0]}"',
        f'name = "{ENGLAND[1]}"',
        'district_column = "Local Authority District code (2024)"',
        'district_name_column = "Local Authority District name (2024)"',
        "",
        *stand_in("comparators"),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _county_entry(found: England, code: str, districts: list[str], data: dict, national: bool) -> list[str]:
    """The county (all of England: the counties and unitary authorities) above the districts: the same 2011
    LSOAs, each 2019 district recoded as the county its district is in (a unitary authority as itself)."""
    placed = found.lad19_of(set(districts))
    recode = {old: found.upper.get(now, (now, found.districts[now].name)) for old, now in placed.items()}
    return [
        "# The count" + ("ies and unitary authorities (a unitary authority is its own)" if national else "y")
        + " above the districts: the same 2011 LSOAs, each 2019",
        "# district recoded as its county (the May 2024 ward file's county codes), so that every LSOA and district",
        "# nests in it exactly."] + _boundary(
        "county", "county", "Counties and unitary authorities" if national else "County", data["lsoa2011"],
        "lsoa2011", None if national else _in("lad19cd", sorted(recode), False), "lad19cd", "lad19nm",
        "County May 2024 (from LSOAs)", "Dissolved from ONS LSOA (December 2011) generalised clipped, via "
        "martinjc/UK-GeoJSON, by the county of their district (ONS May 2024 ward file)", dissolve=True,
        recode=recode)


def _merged(found: England, lad19_codes) -> dict:
    """The 2019 districts read whose code is no longer a district's, as the district they are now part of."""
    placed = found.lad19_of(set(found.districts))
    return {old: (placed[old], found.districts[placed[old]].name) for old in lad19_codes
            if old not in found.districts and old in placed}


def _boundary(set_id: str, kind: str, name: str, file: str, layer: str, where: str | None, code_field: str,
              name_field: str, vintage: str, source: str, *, dissolve: bool = False,
              recode: dict | None = None, also: dict | None = None, nests_in: dict | None = None) -> list[str]:
    lines = ["[[boundaries]]", f'id = "{set_id}"', f'kind = "{kind}"', f"name = {_q(name)}", f"file = {_q(file)}",
             f'layer = "{layer}"']
    if where:
        lines.append(f"where = {_q(where)}")
    if dissolve:
        lines.append("dissolve = true")
    lines += [f'code_field = "{code_field}"', f'name_field = "{name_field}"', f"vintage = {_q(vintage)}",
              f"source = {_q(source)}", f"licence = {_q(LICENCE)}", ""]
    if nests_in:
        lines += ["[boundaries.nests_in]"] + [f"{key} = {_q(value)}" for key, value in nests_in.items()] + [""]
    if also:
        lines += ["[boundaries.also]"] + [f"{key} = {_q(value)}" for key, value in also.items()] + [""]
    if recode:
        lines += ["[boundaries.recode]"] + [f"{old} = [{_q(new)}, {_q(name)}]" for old, (new, name)
                                                 in sorted(recode.items())] + [""]
    return lines


def _stand_in(data: dict):
    def table(owner: str) -> list[str]:
        lines = [f"[{owner}.weighting_population]", f"file = {_q(data['population'])}", 'code_column = "LSOA Code"',
                 'period = "mid-2020"', 'source = "ONS mid-2020 LSOA population estimates"',
                 f"lookup = {_q(data['lookup'])}", 'from_column = "LSOA11CD"', 'to_column = "LSOA21CD"', "",
                 f"[{owner}.weighting_population.columns]"]
        for role, columns in AGES.items():
            value = _q(columns) if isinstance(columns, str) else "[" + ", ".join(_q(c) for c in columns) + "]"
            lines.append(f"{_q(role) if ' ' in role or '-' in role else role} = {value}")
        return [*lines, ""]
    return table


def _in(field_name: str, codes: list[str], national: bool) -> str | None:
    """An OGR SQL filter on ``field_name`` for ``codes`` (None for all of England)."""
    if national:
        return None
    if len(codes) == 1:
        return f"{field_name} = '{codes[0]}'"
    return f"{field_name} IN (" + ", ".join(f"'{c}'" for c in codes) + ")"


def _relative(target: Path, base: Path) -> str:
    """``target`` relative to the manifest's folder when they share a folder below the root, else absolute."""
    try:
        shared = Path(os.path.commonpath([target, base]))
    except ValueError:  # another drive
        return target.as_posix()
    return target.as_posix() if shared == Path(shared.anchor) else Path(os.path.relpath(target, base)).as_posix()


def _q(text: str) -> str:
    """A TOML basic string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
