"""Fixtures for the boundaries core: tiny hand-built areas and the shared real data."""

import os
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

#: Real open data for Cheshire West and Chester, kept beside the repository (never copied into it).
DATA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture
def data_dir() -> Path:
    """The shared data folder, or skip when this machine does not have it."""
    if not (DATA_DIR / "cheshire_west_and_chester.gpkg").is_file():
        if os.environ.get("ATLAS_REQUIRE_SHARED_DATA") == "1":  # CI must not skip the real-data tests
            pytest.fail(f"ATLAS_REQUIRE_SHARED_DATA=1 but {DATA_DIR.resolve()} has no real boundary files")
        pytest.skip(
            f"../shared/data not present (fresh machine): {DATA_DIR.resolve()} has no real boundary files"
        )
    return DATA_DIR


@pytest.fixture
def make_areas():
    """Build a GeoDataFrame of 100 m squares in British National Grid near Chester.

    ``make_areas({"E05000001": (0, 0), ...})`` puts each code's square at that
    (column, row) of a 100 m grid whose origin is (340000, 366000).
    """

    def build(cells: dict[str, tuple[float, float]], *, size: float = 100.0, crs="EPSG:27700", **columns):
        geoms = [
            box(
                340000 + col * size, 366000 + row * size, 340000 + (col + 1) * size, 366000 + (row + 1) * size
            )
            for col, row in cells.values()
        ]
        data = {"code": list(cells), "name": [f"Area {code}" for code in cells], **columns}
        return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:27700").to_crs(crs)

    return build
