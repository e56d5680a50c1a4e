"""Fixtures for the statistics core: the shared real data, loaded once per session, or a clear skip."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

#: Real open data kept beside the repository (never copied into it): ../shared/data.
DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _require(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("ATLAS_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"ATLAS_REQUIRE_SHARED_DATA=1 but {path} is missing")
        pytest.skip(f"shared real data not present on this machine: {path} is missing")
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _require(DATA_DIR)


@pytest.fixture(scope="session")
def iod2019(data_dir) -> pd.DataFrame:
    """All 32,844 LSOAs of the IoD2019 (partial File 7: see ../shared/data/README.md)."""
    return pd.read_csv(_require(data_dir / "england" / "iod2019_file7_partial.csv"))


@pytest.fixture(scope="session")
def cwac(data_dir) -> dict:
    """Cheshire West and Chester: LSOAs, wards, and APBs dissolved from wards."""
    gpkg = _require(data_dir / "cheshire_west_and_chester.gpkg")
    lsoa = gpd.read_file(gpkg, layer="lsoa", engine="pyogrio")
    wards = gpd.read_file(gpkg, layer="wards", engine="pyogrio")
    apb_wards = pd.read_csv(_require(data_dir / "cwac_apb_wards.csv"), dtype=str)
    joined = wards.merge(apb_wards[["ward_code", "apb_id"]], left_on="code", right_on="ward_code")
    apbs = joined.dissolve(by="apb_id", as_index=False)[["apb_id", "geometry"]].rename(columns={"apb_id": "code"})
    return {"lsoa": lsoa, "wards": wards, "apbs": apbs, "apb_wards": apb_wards}


@pytest.fixture(scope="session")
def england_lsoas(data_dir) -> gpd.GeoDataFrame:
    """All 32,844 England LSOAs (2011), with their 2019 district codes."""
    path = _require(data_dir / "england" / "lsoa2011.gpkg")
    return gpd.read_file(path, layer="lsoa2011", engine="pyogrio").rename(columns={"lsoa11cd": "code"})


@pytest.fixture(scope="session")
def iod2025(data_dir) -> pd.DataFrame:
    """All 33,755 LSOAs of the IoD2025 File 7 (population denominators and IDACI/IDAOPI for Cheshire only)."""
    return pd.read_csv(_require(data_dir / "england" / "iod2025_file7.csv"))
