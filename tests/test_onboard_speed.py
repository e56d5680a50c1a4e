"""What `geoapp onboard` does faster gives the same figures: the overlaps of real LSOAs and wards tested on
threads are those tested on one, and two stores of one county onboarded agree (bench/compare_stores.py)."""
from __future__ import annotations

import numpy as np
import pytest

from boundaries import nesting
from boundaries.io import read_boundaries

from .conftest import require_shared_data

#: Halton (E06000006): LSOAs of 2011 (20 m) against the May 2024 wards (200 m), which do not nest.
WHERE = "lad19cd = 'E06000006'"


@pytest.fixture(scope="module")
def data():
    return require_shared_data() / "england"


def test_overlaps_on_threads_are_those_on_one(data, monkeypatch):
    lsoas = read_boundaries(data / "lsoa2011.gpkg", layer="lsoa2011", code_field="lsoa11cd", where=WHERE).areas
    wards = read_boundaries(data / "wards2024.gpkg", layer="wards", code_field="code",
                            where="lad_code = 'E06000006'").areas
    monkeypatch.setattr(nesting, "_THREADS", 1)
    one = nesting.overlaps(lsoas, wards)
    monkeypatch.setattr(nesting, "_THREADS", 2)
    monkeypatch.setattr(nesting, "_SHARE", 1)
    two = nesting.overlaps(lsoas, wards)
    assert len(one) > len(lsoas)  # some LSOAs cross ward edges: their shared areas were overlaid
    assert (one["share"] < 1).sum() > 10
    assert one[["small_code", "large_code"]].equals(two[["small_code", "large_code"]])
    assert np.array_equal(one["area_m2"].to_numpy(), two["area_m2"].to_numpy())
