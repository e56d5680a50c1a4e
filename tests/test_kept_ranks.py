"""Ranks kept in the store (geoapp/profiles/ranks.py): prepared with the profiles, read back by a restarted process
without ranking every area again, equal to ranks worked out afresh, and never read once the values they were
worked out from are imported again. On three real districts (ranks in the wards loaded and in the district)."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from geoapp import caches, districts
from geoapp.loading.load import LoadReport, Reporter, import_indicators
from geoapp.profiles.prepare import prepare_profiles
from geoapp.storage import persisted
from geoapp.storage.models import Persisted
from tests import national_store
from tests.conftest import _build_store, build_app, require_shared_data

BLACON = "E05012209"  # a CWAC ward
SCORE = "imd2019-score"
SCORE_COLUMN = "Index of Multiple Deprivation (IMD) Score"


def _fill(db, tmp):
    national_store.fill(db, tmp)


def three_db(backend, request, tmp_path, tmp_path_factory):
    require_shared_data()
    return _build_store(backend, "three-districts", request, tmp_path_factory, _fill).open(tmp_path)


def restart() -> None:
    caches.clear_all()


def profile(client) -> dict:
    body = client.get(f"/profiles/wards/{BLACON}.json").get_json()
    body.pop("produced", None)
    return body


def ranks(body: dict, indicator_id: str) -> list[dict]:
    return next(i for t in body["themes"] for i in t["indicators"] if i["id"] == indicator_id)["ranks"]


def kept_ranks(db) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Persisted.key).where(Persisted.kind == "ranks",
                                                               Persisted.set_a == "wards")))


def prepared(db) -> None:
    restart()
    with db.transaction() as session:
        prepare_profiles(session, ["wards"])


def test_a_restarted_process_reads_the_kept_ranks_equal_to_fresh_ones(backend, request, tmp_path, tmp_path_factory):
    for db in three_db(backend, request, tmp_path, tmp_path_factory):
        prepared(db)
        assert len(kept_ranks(db)) >= 30, "each shown indicator's ranks of the wards are kept"
        client = build_app(db, tmp_path).test_client()
        restart()
        read = profile(client)
        assert not districts._DIRECTORIES.keys(), "read, not ranked again from every ward's district"
        loaded, district = ranks(read, SCORE)
        assert (loaded["among"], district["among"]) == ("wards loaded", "wards in Cheshire West and Chester")
        with db.transaction() as session:
            persisted.forget(session)
        restart()
        assert profile(client) == read


def test_ranks_kept_before_the_values_are_imported_again_are_never_read(backend, request, tmp_path,
                                                                         tmp_path_factory):
    for db in three_db(backend, request, tmp_path, tmp_path_factory):
        prepared(db)
        client = build_app(db, tmp_path).test_client()
        restart()
        before = ranks(profile(client), SCORE)
        old = kept_ranks(db)
        # the same catalogue imported again with every score turned round: the most deprived ward is the least
        manifest = national_store.write_manifest(tmp_path)
        table = pd.read_csv(national_store.ENGLAND / "iod2019_file7_partial.csv")
        table = table[table["Local Authority District code (2019)"].isin(national_store.DISTRICTS)]
        table[SCORE_COLUMN] = 100 - table[SCORE_COLUMN]
        table.to_csv(tmp_path / "turned.csv", index=False)
        with db.transaction() as session:
            import_indicators(session, manifest.parent / "iod2019.toml", "lsoa", actor="test", reporter=Reporter(),
                              report=LoadReport(), file=tmp_path / "turned.csv")
        prepared(db)
        assert not kept_ranks(db) & old, "the ranks kept from the old values are replaced"
        restart()
        after = profile(client)
        turned = ranks(after, SCORE)
        assert [r["of"] for r in turned] == [r["of"] for r in before]
        for old_rank, new_rank in zip(before, turned):  # no ward ties on a score: the order is reversed
            assert new_rank["position"] == old_rank["of"] + 1 - old_rank["position"]
        with db.transaction() as session:
            persisted.forget(session)
        restart()
        assert profile(client) == after
