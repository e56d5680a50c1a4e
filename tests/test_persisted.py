"""Results kept in the store (geoapp/storage/persisted.py): weights between sets, the service alignment a
profile shows, indicator figures and deprivation summaries are worked out once, read back equal to a fresh
computation after a restart (every process cache emptied), and replaced when a set they come from is."""
from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from geoapp import caches, figures
from geoapp.alignment import service
from geoapp.boundary_sets.manage import delete_set
from geoapp.profiles.prepare import prepare_profiles
from geoapp.storage import boundary_sets, persisted
from geoapp.storage.indicators import list_indicators
from geoapp.storage.models import Persisted
from tests.conftest import build_app

WARD = "E05012209"


def kept(session, kind: str, *sets: str) -> list[Persisted]:
    """The rows of ``kind`` kept for exactly these sets (in order)."""
    query = select(Persisted).where(Persisted.kind == kind)
    for column, set_id in zip((Persisted.set_a, Persisted.set_b), sets):
        query = query.where(column == set_id)
    return session.scalars(query).all()


def restart() -> None:
    """What a restarted process holds: nothing in any process cache."""
    caches.clear_all()


def test_codec_keeps_frames_arrays_and_sparse_matrices_exactly():
    frame = pd.DataFrame({"code": pd.Series(["a", None], dtype="str"), "mixed": pd.Series(["x", 1], dtype=object),
                          "flag": [True, False], "n": [1, 2], "x": [np.nan, 0.1 + 0.2]},
                         index=pd.Index(["p", "q"], name="code"))
    value = {"t": frame, "empty": frame.iloc[:0], "s": frame["x"], "a": np.arange(6, dtype=np.int32).reshape(2, 3),
             "tuple": ("E01", 2), (1, "k"): None}
    back = persisted.decode(persisted.encode(value))
    pd.testing.assert_frame_equal(back["t"], frame, check_exact=True)
    pd.testing.assert_frame_equal(back["empty"], frame.iloc[:0])
    pd.testing.assert_series_equal(back["s"], frame["x"], check_exact=True)
    assert back["a"].dtype == np.int32 and back["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["tuple"] == ("E01", 2) and back[(1, "k")] is None
    with pytest.raises(TypeError, match="cannot keep a object"):
        persisted.encode(object())


def test_figures_are_kept_and_read_back_equal_to_fresh_ones(cwac_db):
    restart()
    with cwac_db.transaction() as session:
        ids = [i.id for i in list_indicators(session)]
        made = figures.figures(session, "wards", ids)
        assert len(kept(session, "figures", "wards")) == len(ids) and kept(session, "area labels", "wards")
    restart()
    with cwac_db.session() as session:
        read = figures.figures(session, "wards", ids)
        assert len(figures.WEIGHTS) == 0, "read, not aggregated again"
    for indicator_id in ids:
        for field in fields(made[indicator_id]):
            if field.name == "table":
                pd.testing.assert_frame_equal(read[indicator_id].table, made[indicator_id].table, check_exact=True)
            elif not field.name.startswith("_"):
                assert getattr(read[indicator_id], field.name) == getattr(made[indicator_id], field.name), field.name
        assert read[indicator_id].row(WARD) == made[indicator_id].row(WARD)


def test_service_alignment_is_kept_and_read_back_equal_to_a_fresh_measure(cwac_db):
    restart()
    with cwac_db.transaction() as session:  # rows a request on the shared PostGIS store kept on its own
        persisted.forget(session)
    with cwac_db.transaction() as session:
        service.profile_fit(session, "apb", "sub-icb")
        assert len(kept(session, "alignment", "apb", "sub-icb")) == 1
    restart()
    with cwac_db.session() as session:
        read = service.profile_fit(session, "apb", "sub-icb")
        held = service._ALIGNMENTS.keys()
        assert all(key[0] == "profile fit" for key in held), "read, not measured again"
        fresh = service.measure_sets(session, "apb", "sub-icb", ignore_slivers=True)
    for name in ("pairs", "a_fit", "b_fit"):
        pd.testing.assert_frame_equal(getattr(read.fit, name), getattr(fresh.fit, name), check_exact=True)
    pd.testing.assert_frame_equal(read.pieces, pd.DataFrame(fresh.pieces.drop(columns="geometry")),
                                  check_exact=True)
    assert read.fit.scores == fresh.fit.scores and read.fit.relationship() == fresh.fit.relationship()
    assert read.names == fresh.names and read.population == fresh.population and read.headline == fresh.headline
    assert read.definitions() == fresh.definitions() and read.sentence() == fresh.sentence()


def test_replacing_a_set_replaces_what_was_kept_for_it(cwac_db):
    restart()
    with cwac_db.transaction() as session:  # rows a request on the shared PostGIS store kept on its own
        persisted.forget(session)
    with cwac_db.transaction() as session:
        before = service.profile_fit(session, "apb", "sub-icb")
        lsoa, lad = boundary_sets.get_set(session, "lsoa"), boundary_sets.get_set(session, "lad")
        weights = figures.weights_for(session, lsoa, lad)
        assert weights.matrix.sum() == pytest.approx(len(weights.source_codes))
        old_keys = {r.key for r in kept(session, "alignment", "apb", "sub-icb") + kept(session, "weights",
                                                                                           "lsoa", "lad")}
    with cwac_db.transaction() as session:  # the sub-ICB locations without the first; the borough shrunk by 1 km
        sub_icb, borough = boundary_sets.load_areas(session, "sub-icb"), boundary_sets.load_areas(session, "lad")
        boundary_sets.save_set(session, sub_icb.iloc[1:][["code", "name", "geometry"]], actor="test",
                               replace=True, id="sub-icb", kind="service", name="Sub-ICB (fewer)",
                               service_type="sub-icb")
        shrunk = borough[["code", "name", "geometry"]].assign(geometry=borough.geometry.buffer(-1000))
        boundary_sets.save_set(session, shrunk, actor="test", replace=True, id="lad", kind="lad", name="Borough")
    restart()
    with cwac_db.transaction() as session:
        after = service.profile_fit(session, "apb", "sub-icb")
        lsoa, lad = boundary_sets.get_set(session, "lsoa"), boundary_sets.get_set(session, "lad")
        smaller = figures.weights_for(session, lsoa, lad)
        rows = kept(session, "alignment", "apb", "sub-icb") + kept(session, "weights", "lsoa", "lad")
        assert len(rows) == 2 and not {r.key for r in rows} & old_keys, "the old results were replaced"
        restart()
        fresh = service.measure_sets(session, "apb", "sub-icb", ignore_slivers=True)
    assert set(after.fit.b_fit["code"]) == set(before.fit.b_fit["code"]) - {before.fit.b_fit["code"].iloc[0]}
    pd.testing.assert_frame_equal(after.fit.a_fit, fresh.fit.a_fit, check_exact=True)
    assert smaller.matrix.sum() < weights.matrix.sum()
    with cwac_db.transaction() as session:
        persisted.forget(session, "weights")
    restart()
    with cwac_db.transaction() as session:
        rebuilt = figures.weights_for(session, boundary_sets.get_set(session, "lsoa"),
                                      boundary_sets.get_set(session, "lad"))
    assert (rebuilt.matrix != smaller.matrix).nnz == 0 and rebuilt.source_codes == smaller.source_codes
    assert rebuilt.phrase == smaller.phrase and rebuilt.method == smaller.method


def test_deleting_a_set_deletes_what_was_kept_for_it(cwac_db):
    restart()
    with cwac_db.transaction() as session:
        service.profile_fit(session, "wards", "ambulance")
        assert kept(session, "alignment", "wards", "ambulance")
    with cwac_db.transaction() as session:
        delete_set(session, boundary_sets.get_set(session, "ambulance"), actor="test", user_id=None)
    with cwac_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Persisted).where(
            (Persisted.set_a == "ambulance") | (Persisted.set_b == "ambulance"))) == 0


def test_a_restarted_process_reads_the_prepared_profile_equal_to_a_fresh_one(cwac_db, tmp_path):
    restart()
    with cwac_db.transaction() as session:
        took = prepare_profiles(session, ["wards", "apb"])
        kinds = dict(session.execute(select(Persisted.kind, func.count()).group_by(Persisted.kind)).all())
    assert set(took) == {"wards", "apb"} and {"weights", "alignment", "figures", "deprivation"} <= set(kinds)
    client = build_app(cwac_db, tmp_path).test_client()
    restart()
    read = profile(client)
    held = service._ALIGNMENTS.keys()
    assert held and all(key[0] == "profile fit" for key in held), "read, not measured again"
    with cwac_db.transaction() as session:
        persisted.forget(session)
    restart()
    fresh = profile(client)
    assert read == fresh
    assert fresh["services"]["lines"] and fresh["deprivation"]


def test_a_request_keeps_what_it_built(cwac_db, tmp_path, backend):
    if backend == "postgis":
        pytest.skip("the test stores' PostGIS sessions share one connection, so what a request keeps in a "
                    "transaction of its own is rolled back with the request's session; SQLite shows it")
    client = build_app(cwac_db, tmp_path).test_client()
    restart()
    first = profile(client)
    with cwac_db.session() as session:
        kinds = dict(session.execute(select(Persisted.kind, func.count()).group_by(Persisted.kind)).all())
    assert {"weights", "alignment", "figures", "deprivation"} <= set(kinds)
    restart()
    assert profile(client) == first


def profile(client) -> dict:
    """The ward's profile twin, without the moment it was produced."""
    body = client.get(f"/profiles/wards/{WARD}.json").get_json()
    body.pop("produced", None)
    return body


def test_the_prepare_command_keeps_what_profiles_read_and_refuses_unknown_sets(demo_db, tmp_path):
    runner = build_app(demo_db, tmp_path).test_cli_runner()
    restart()
    result = runner.invoke(args=["prepare", "wards"])
    assert result.exit_code == 0, result.output
    assert "wards" in result.output and "Prepared 1 set in" in result.output
    with demo_db.session() as session:
        assert kept(session, "figures", "wards"), "the wards' figures are kept in the store"
    refused = runner.invoke(args=["prepare", "apb", "no-such-set"])
    assert refused.exit_code == 1 and "No boundary set called no-such-set: nothing was prepared." in refused.output
