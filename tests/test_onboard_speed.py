"""What `geoapp onboard` does faster gives the same figures: the overlaps of real LSOAs and wards tested on
threads are those tested on one, and two stores of one county onboarded agree (bench/compare_stores.py)."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from boundaries import nesting
from boundaries.io import read_boundaries
from geoapp.loading import load
from geoapp.loading.onboard import onboard
from geoapp.storage import boundary_sets
from geoapp.storage.models import Area, AreaLink

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


def test_links_worked_out_while_the_indicators_are_stored_are_those_worked_out_after(db, data, tmp_path,
                                                                                       monkeypatch):
    """Halton onboarded: its LSOAs (both vintages) are overlaid with the wards early, on another thread, and
    linked as linking them afresh from the stored areas links them."""
    early = []
    real = load.overlay_early
    monkeypatch.setattr(load, "overlay_early", lambda *args: early.append(real(*args)) or early[-1])
    onboard(db, data, "E06000006", tmp_path / "halton.toml")
    assert set(early[0]) == {("lsoa", "wards"), ("lsoa2021", "wards")}  # the rest nest by code
    with db.transaction() as session:
        for small, large in early[0]:
            before = _links(session, small, large)
            ids = select(Area.id).where(Area.set_id == small)
            session.execute(delete(AreaLink).where(AreaLink.area_id.in_(ids)))
            assert _links(session, small, large) == []
            assert boundary_sets.link_sets(session, small, large) == len(before) > 0
            assert _links(session, small, large) == before


def _links(session, small, large):
    container = aliased(Area)
    return sorted(session.execute(
        select(Area.code, container.code, AreaLink.share).join(AreaLink, AreaLink.area_id == Area.id)
        .join(container, container.id == AreaLink.container_id)
        .where(Area.set_id == small, container.set_id == large)).all())
