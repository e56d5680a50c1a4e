"""Names folded for search: the vectorised fold of many names equals the one-by-one fold, on England's real names."""
from __future__ import annotations

import pandas as pd

from layers.text import fold, fold_all
from tests.conftest import require_shared_data


def test_folding_many_names_at_once_equals_folding_each():
    england = require_shared_data() / "england"
    names = pd.read_csv(england / "iod2025_file7.csv", usecols=["LSOA name (2021)"])["LSOA name (2021)"]
    names = pd.concat([names, pd.Series(["Ynys Môn", "Ashton-under-Lyne & St. John's", "Brent_Cross", " ",
                                         "Llanfair’s Green", "Straße"])], ignore_index=True)
    assert fold_all(names).tolist() == names.map(fold).tolist()
    assert fold_all(names.iloc[:0]).tolist() == []
