"""What England's shared files say about its districts: codes, names, counties, and which 2011 LSOAs each
current district holds (districts merged since 2019 included), read once from their attributes."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyogrio

from .manifest import ManifestError

#: The files of ../shared/data/england this reads and the manifests name, by role.
FILES = {
    "lsoa2011": "lsoa2011.gpkg",
    "lsoa2021": "lsoa2021.gpkg",
    "wards2024": "wards2024.gpkg",
    "wards2013": "wards.gpkg",
    "lookup": "lsoa11_lsoa21_lad22_lookup.csv",
    "iod2019": "iod2019_file7_partial.csv",
    "iod2025": "iod2025_file7.csv",
    "population": "lsoa11_population_mid2020_syoa.csv",
}
#: GSS prefixes of the codes ``geoapp onboard`` takes: unitary, non-metropolitan, metropolitan, London
#: districts, and counties.
DISTRICT_PREFIXES = ("E06", "E07", "E08", "E09")
COUNTY_PREFIX = "E10"
CODE = re.compile(r"^E\d{8}$")


class UnknownArea(ManifestError):
    """The code is not a current English district or county; the message says how to find one."""


@dataclass(frozen=True)
class District:
    code: str
    name: str
    county_code: str | None = None
    county_name: str | None = None


@dataclass(frozen=True)
class Placement:
    """Which 2011 LSOAs the 2011 boundary entry reads for some current districts, and which of them cannot
    be placed in those districts through the ONS lookup (or belong there and are not read)."""

    lad19_codes: tuple[str, ...]
    read: int
    outside: tuple[str, ...] = ()  #: read (their 2019 district is one of these) but their 2021 LSOAs lie elsewhere
    missing: tuple[str, ...] = ()  #: their 2021 LSOAs lie here but their 2019 district is not read
    unlinked: tuple[str, ...] = ()  #: read but in no row of the lookup


@dataclass
class England:
    """The districts and counties of England as the shared files give them (LAD and county codes of 2024)."""

    folder: Path
    districts: dict[str, District]
    counties: dict[str, str]
    former: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  #: 2019 code: (name, 2024 codes)
    lsoa11: pd.DataFrame = field(default_factory=pd.DataFrame)  #: lsoa11cd, lad19cd, lad24cd (via lookup)
    wards2024: set[str] = field(default_factory=set)  #: districts with May 2024 wards
    upper: dict[str, tuple[str, str]] = field(default_factory=dict)  #: district: its county, or itself (unitary)

    def members(self, county: str) -> list[str]:
        """The districts of a county, by code."""
        return sorted(c for c, d in self.districts.items() if d.county_code == county)

    def resolve(self, code: str) -> tuple[str, str, list[str]]:
        """(code, name, district codes) of a district or county code; :class:`UnknownArea` otherwise."""
        wanted = code.strip().upper()
        if wanted in self.districts:
            return wanted, self.districts[wanted].name, [wanted]
        if wanted in self.counties:
            return wanted, self.counties[wanted], self.members(wanted)
        raise UnknownArea(self.unknown_message(code))

    def unknown_message(self, given: str) -> str:
        """Why a code was refused, with the nearest codes or names and where to look them up."""
        wanted = given.strip()
        lines = [f"'{given}' is not the code of an English district, unitary authority or county in "
                 f"{self.folder / FILES['lsoa2021']} (LAD codes of 2024) or {self.folder / FILES['wards2024']} "
                 "(county codes)."]
        if wanted.upper() in self.former:
            name, now = self.former[wanted.upper()]
            into = ", ".join(f"{c} {self.districts[c].name}" for c in sorted(now) if c in self.districts)
            lines.append(f"{wanted.upper()} was {name}, a district of 2019 that is now part of {into}: "
                         f"onboard {' or '.join(sorted(now))}.")
        names = {d.name: c for c, d in self.districts.items()} | {n: c for c, n in self.counties.items()}
        by_name = difflib.get_close_matches(wanted.title(), list(names), n=5, cutoff=0.6)
        if not CODE.match(wanted.upper()):
            by_name += [n for n in names if wanted and wanted.casefold() in n.casefold() and n not in by_name]
        if by_name:
            lines.append("Did you mean: " + "; ".join(f"{names[n]} {n}" for n in by_name[:8]) + "?")
        elif CODE.match(wanted.upper()) and wanted.upper() not in self.former:
            near = difflib.get_close_matches(wanted.upper(), sorted(names.values()), n=5, cutoff=0.8)
            if near:
                lookup = {c: n for n, c in names.items()}
                lines.append("Close codes: " + "; ".join(f"{c} {lookup[c]}" for c in near) + ".")
        lines.append("Codes start E06 (unitary), E07 (district), E08 (metropolitan borough), E09 (London borough) "
                     "or E10 (county). List them with `geoapp onboard --list`, or look a council up by name, e.g. "
                     "`geoapp onboard --list rutland`.")
        return "\n".join(lines)

    def listing(self, words: str | None = None) -> list[tuple[str, str, str]]:
        """(code, name, county) of every district and county, those whose name or code holds ``words``."""
        rows = [(c, d.name, d.county_name or "") for c, d in self.districts.items()]
        rows += [(c, n, "county of " + ", ".join(self.members(c))) for c, n in self.counties.items()]
        if words:
            rows = [r for r in rows if words.casefold() in r[0].casefold() or words.casefold() in r[1].casefold()]
        return sorted(rows)

    def lad19_of(self, districts: set[str]) -> dict[str, str]:
        """Each 2019 district code whose 2011 LSOAs lie (by the lookup) mostly in one of ``districts``: that one."""
        rows = self.lsoa11[self.lsoa11["lad24cd"].isin(districts)]
        return rows.groupby("lad19cd")["lad24cd"].agg(lambda s: s.value_counts().index[0]).to_dict()

    def placement(self, districts: list[str]) -> Placement:
        """The 2011 LSOAs of some current districts: read by their 2019 district, checked through the lookup."""
        table = self.lsoa11
        here = table["lad24cd"].isin(districts)
        lad19 = tuple(sorted(set(table.loc[here, "lad19cd"])))
        read = table["lad19cd"].isin(lad19)
        linked = table["lad24cd"].notna()
        outside = table.loc[read & linked & ~here, "lsoa11cd"]
        missing = table.loc[here & ~read, "lsoa11cd"]
        unlinked = table.loc[read & ~linked, "lsoa11cd"]
        return Placement(lad19, int(read.sum()), tuple(sorted(outside)), tuple(sorted(missing)),
                         tuple(sorted(unlinked)))


def england(folder: str | Path) -> England:
    """England's districts read from the shared files in ``folder`` (cached while the files are unchanged)."""
    folder = Path(folder).resolve()
    missing = [name for name in FILES.values() if not (folder / name).exists()]
    if missing:
        raise ManifestError(f"{folder} is not England's shared data folder: {', '.join(missing)} not found. "
                            "Give the folder holding them with --data.")
    stamp = tuple((folder / name).stat().st_mtime_ns for name in FILES.values())
    return _read(folder, stamp)


@lru_cache(maxsize=2)
def _read(folder: Path, _stamp: tuple) -> England:
    lsoa21 = pyogrio.read_dataframe(folder / FILES["lsoa2021"], columns=["code", "lad24cd", "lad24nm"],
                                    read_geometry=False)
    wards = pyogrio.read_dataframe(folder / FILES["wards2024"], layer="wards", read_geometry=False,
                                   columns=["lad_code", "county_code", "county_name"])
    tiers = wards.drop_duplicates("lad_code")
    upper = dict(zip(tiers["lad_code"], zip(tiers["county_code"], tiers["county_name"])))
    counties = tiers[tiers["county_code"].str.startswith(COUNTY_PREFIX)]
    county_of = dict(zip(counties["lad_code"], zip(counties["county_code"], counties["county_name"])))
    names = dict(zip(lsoa21["lad24cd"], lsoa21["lad24nm"]))
    districts = {code: District(code, name, *county_of.get(code, (None, None))) for code, name in sorted(names.items())}
    lsoa11 = pyogrio.read_dataframe(folder / FILES["lsoa2011"], columns=["lsoa11cd", "lad19cd", "lad19nm"],
                                    read_geometry=False)
    lookup = pd.read_csv(folder / FILES["lookup"], usecols=["LSOA11CD", "LSOA21CD"], dtype=str)
    district_of = dict(zip(lsoa21["code"], lsoa21["lad24cd"]))
    lookup["lad24cd"] = lookup["LSOA21CD"].map(district_of)
    # a 2011 LSOA whose 2021 LSOAs lie in two districts is placed in neither, and listed
    spread = lookup.dropna(subset=["lad24cd"]).groupby("LSOA11CD")["lad24cd"].agg(
        lambda s: s.iloc[0] if s.nunique() == 1 else "several")
    lsoa11 = lsoa11.assign(lad24cd=lsoa11["lsoa11cd"].map(spread))
    lsoa11["lad24cd"] = lsoa11["lad24cd"].where(lsoa11["lad24cd"] != "several", "")
    former = {}
    for (code, name), rows in lsoa11.groupby(["lad19cd", "lad19nm"]):
        now = set(rows["lad24cd"].dropna()) - {""}
        if code not in districts:
            former[code] = (name, now)
    return England(folder=folder, districts=districts, counties=dict(zip(counties["county_code"],
                                                                          counties["county_name"])),
                   former=former, lsoa11=lsoa11, wards2024=set(wards["lad_code"]), upper=upper)
