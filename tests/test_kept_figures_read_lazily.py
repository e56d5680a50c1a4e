"""Figures read from the store are read lazily (geoapp/figures.py, geoapp/storage/persisted.py KeptFrame): an area's
row, its comparator, the set's values and codes are read without building the table, equal to freshly built
figures; the table, built when first asked for, equals the fresh one too."""
from __future__ import annotations

import numpy as np
import pandas as pd

from geoapp import caches, figures
from geoapp.storage import persisted
from geoapp.storage.indicators import list_indicators

SETS = ("wards", "lsoa2021")


def test_a_row_and_the_values_read_lazily_equal_fresh_figures(cwac_db):
    caches.clear_all()
    with cwac_db.transaction() as session, persisted.kept_in(session):
        ids = [i.id for i in list_indicators(session)]
        made = {s: figures.figures(session, s, ids) for s in SETS}
    caches.clear_all()
    with cwac_db.session() as session:
        read = {s: figures.figures(session, s, ids) for s in SETS}
    for set_id in SETS:
        codes = list(made[set_id][ids[0]].table.index)
        for indicator_id in ids:
            fresh, lazy = made[set_id][indicator_id], read[set_id][indicator_id]
            assert lazy._kept is not None, "read from the store, the table not built"
            assert all(lazy.row(code) == fresh.row(code) for code in codes[::7] + ["no-such-area"])
            assert lazy.comparator(codes[0]) == fresh.comparator(codes[0])
            np.testing.assert_array_equal(lazy.value_array(), fresh.table["value"].to_numpy(dtype=float))
            assert list(lazy.codes()) == codes
            assert lazy._kept is not None, "none of these built the table"
            pd.testing.assert_frame_equal(lazy.table, fresh.table, check_exact=True)
            assert lazy._kept is None and lazy.records() == fresh.records()


def test_a_kept_frame_reads_each_kind_of_column_as_the_built_frame_holds_it():
    frame = pd.DataFrame({"text": pd.Series(["a", None, "b"], dtype="str"),
                          "objects": pd.Series(["x", None, "x"], dtype=object),
                          "number": [1.5, np.nan, 3.0], "count": [1, 2, 3], "flag": [True, False, True],
                          "mixed": pd.Series([1, "one", None], dtype=object)},
                         index=pd.Index(["E1", "E2", "E3"], name="code"))
    kept = persisted.decode(persisted.encode({"t": frame}), lazy=True)["t"]
    built = kept.frame()
    pd.testing.assert_frame_equal(built, frame)
    assert list(kept.index) == ["E1", "E2", "E3"] and kept.columns == list(frame.columns)
    for column in frame.columns:
        values, expected = kept.values(column), built[column].to_numpy()
        for at in range(len(frame)):
            got, want = values[at], expected[at]
            assert got == want or (pd.isna(got) and pd.isna(want) and type(got) is type(want)), (column, at)
