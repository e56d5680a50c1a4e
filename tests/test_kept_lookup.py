"""What is kept (in the process and in the store) from the lookup between LSOA vintages is replaced with it:
a new lookup alone (same sets, same values, same postcodes) never reads weights or figures made from the old."""
from __future__ import annotations

import numpy as np
import pandas as pd

from geoapp import caches, figures
from geoapp.storage import persisted
from geoapp.storage.lookups import save_lookup
from geoapp.storage.models import Persisted
from tests.conftest import SHARED_DATA

POPULATION = "population-total"
MOVED = "E01018308"  # unchanged (U) between 2011 and 2021 in the published lookup


def populations(db) -> pd.Series:
    """Each 2021 LSOA's population as a restarted process reads it (and keeps it in the store)."""
    caches.clear_all()
    with db.transaction() as session, persisted.kept_in(session):
        return figures.figures(session, "lsoa2021", [POPULATION])[POPULATION].table["value"].copy()


def kept_keys(db, kind: str) -> set[str]:
    with db.session() as session:
        return set(session.scalars(Persisted.__table__.select().with_only_columns(Persisted.key)
                                   .where(Persisted.kind == kind, Persisted.set_b == "lsoa2021")))


def test_a_new_lookup_replaces_the_weights_and_figures_kept_from_the_old(cwac_db):
    before = populations(cwac_db)
    weights_before = kept_keys(cwac_db, "weights")
    assert weights_before, "the weights through the lookup are kept"
    table = pd.read_csv(SHARED_DATA / "england" / "lsoa11_lsoa21_lad22_lookup.csv", dtype=str,
                        keep_default_na=False)
    other = next(c for c in table.loc[table["LAD22CD"] == "E06000050", "LSOA21CD"] if c != MOVED)
    table.loc[table["LSOA11CD"] == MOVED, "LSOA21CD"] = other  # as many rows as before: only the pairs differ
    with cwac_db.transaction() as session:
        save_lookup(session, table, from_set="lsoa", to_set="lsoa2021", from_column="LSOA11CD",
                    to_column="LSOA21CD", change_column="CHGIND", name="moved.csv", actor="test")
    after = populations(cwac_db)
    assert not kept_keys(cwac_db, "weights") & weights_before, "the old weights are not read again"
    assert np.isnan(after[MOVED]) and after[other] == before[other] + before[MOVED]
    assert after.sum() == before.sum()  # nobody lost or counted twice
    with cwac_db.transaction() as session:
        persisted.forget(session)
    pd.testing.assert_series_equal(populations(cwac_db), after)  # what was kept equals a fresh build
