"""A small national-like store: three real districts of England read from ../shared/data/england with a filter
(their LSOAs, May 2024 wards and the districts themselves), with England's IoD2019 and mid-2020 population."""
from __future__ import annotations

from pathlib import Path

import pyogrio
import shapely

from geoapp.loading.load import load_manifest
from geoapp.loading.manifest import read_manifest
from geoapp.storage.db import Database

from .conftest import ROOT, SHARED_DATA, _build_store, build_app, require_shared_data

#: Cheshire West and Chester, Cheshire East and Halton.
DISTRICTS = ("E06000050", "E06000049", "E06000006")
IN = "(" + ", ".join(f"'{d}'" for d in DISTRICTS) + ")"
ENGLAND = SHARED_DATA / "england"


def write_manifest(folder: Path, *, national_areas: int | None = None) -> Path:
    """The manifest of the store (``national_areas``: what the IoD2019 catalogue says England holds)."""
    lsoas = pyogrio.read_dataframe(ENGLAND / "lsoa2011.gpkg", layer="lsoa2011", where=f"lad19cd IN {IN}")
    lads = lsoas.dissolve("lad19cd", as_index=False)[["lad19cd", "lad19nm", "geometry"]]
    lads["geometry"] = lads.geometry.map(_without_slivers)
    pyogrio.write_dataframe(lads, folder / "districts.gpkg", layer="lad")
    catalogue = (ROOT / "examples" / "indicators" / "iod2019-cheshire-west-and-chester.toml").read_text()
    catalogue = catalogue.replace('file = "../../../shared/data/cheshire_west_and_chester_imd2019.csv"',
                                  f'file = "{ENGLAND / "iod2019_file7_partial.csv"}"')
    if national_areas is not None:
        catalogue = catalogue.replace("national_areas = 32844", f"national_areas = {national_areas}")
    (folder / "iod2019.toml").write_text(catalogue)
    population = (ROOT / "examples" / "indicators" / "population-mid2020.toml").read_text()
    population = population.replace('file = "../../../shared/data/england/',  f'file = "{ENGLAND}/')
    (folder / "population.toml").write_text(population)
    licence = 'licence = "Contains National Statistics and OS data © Crown copyright and database right. OGL v3.0."'
    manifest = f"""
[area]
name = "Three districts of the North West"
code = "E06000050"

[[boundaries]]
id = "lad"
kind = "lad"
name = "Districts"
file = "districts.gpkg"
layer = "lad"
code_field = "lad19cd"
name_field = "lad19nm"
vintage = "LAD 2019, dissolved from LSOAs"
source = "Dissolved from ONS LSOA (December 2011) generalised clipped"
{licence}

[[boundaries]]
id = "wards"
kind = "ward"
name = "Wards (2024)"
file = "{ENGLAND / 'wards2024.gpkg'}"
layer = "wards"
where = "lad_code IN {IN}"
code_field = "code"
name_field = "name"
vintage = "WD24 (May 2024)"
source = "ONS Wards (May 2024) Boundaries UK BSC"
{licence}

[[boundaries]]
id = "lsoa"
kind = "lsoa"
name = "Lower layer super output areas (2011)"
file = "{ENGLAND / 'lsoa2011.gpkg'}"
layer = "lsoa2011"
where = "lad19cd IN {IN}"
code_field = "lsoa11cd"
name_field = "lsoa11nm"
vintage = "LSOA December 2011"
source = "ONS LSOA (December 2011) generalised clipped"
{licence}

[[indicators]]
catalogue = "population.toml"
set = "lsoa"

[[indicators]]
catalogue = "iod2019.toml"
set = "lsoa"
"""
    path = folder / "three-districts.toml"
    path.write_text(manifest)
    return path


def _without_slivers(shape):
    """The district without the hair-thin gaps between its generalised LSOAs (thousands of tiny holes, on
    which GEOS's overlay misses some LSOAs wholly inside: see the report of this branch)."""
    return shapely.MultiPolygon([shapely.Polygon(part.exterior, [ring for ring in part.interiors
                                                                 if shapely.Polygon(ring).area > 1000])
                                 for part in getattr(shape, "geoms", [shape])])


def fill(db: Database, folder: Path, *, national_areas: int | None = None) -> None:
    """Load the three districts into ``db``."""
    load_manifest(db, read_manifest(write_manifest(folder, national_areas=national_areas)))


def open_app(backend: str, request, tmp_path, tmp_path_factory, *, national_areas: int | None = None, **config):
    """Yield an app on the three districts' store, built once per test session and backend (and per
    ``national_areas``) and opened afresh for each test, with ``config`` as its settings (for fixtures:
    ``yield from national_store.open_app(...)``)."""
    require_shared_data()
    name = "three-districts" if national_areas is None else f"three-districts-national-{national_areas}"
    store = _build_store(backend, name, request, tmp_path_factory,
                         lambda db, folder: fill(db, folder, national_areas=national_areas))
    for db in store.open(tmp_path):
        yield build_app(db, tmp_path, **config)
