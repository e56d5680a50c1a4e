"""Published lookups between two sets' codes (the ONS LSOA 2011 to 2021 lookup) in and out of the store."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from . import audit
from .models import Area, AreaLookup


def save_lookup(session: Session, table: pd.DataFrame, *, from_set: str, to_set: str, from_column: str,
                to_column: str, change_column: str | None, name: str, actor: str) -> dict:
    """Store the rows of ``table`` whose codes are areas of both sets, replacing the pair's earlier lookup."""
    missing = [c for c in (from_column, to_column, change_column) if c and c not in table.columns]
    if missing:
        raise InvalidInput(f"{name}: column(s) {', '.join(missing)} not found; it has {', '.join(table.columns[:12])}.")
    known = {s: set(session.scalars(select(Area.code).where(Area.set_id == s))) for s in (from_set, to_set)}
    rows = table[table[from_column].isin(known[from_set]) & table[to_column].isin(known[to_set])]
    if rows.empty:
        raise InvalidInput(f"{name}: no row links an area of '{from_set}' with an area of '{to_set}'. Nothing "
                           "was stored: are these the right sets?")
    session.execute(delete(AreaLookup).where(AreaLookup.from_set == from_set, AreaLookup.to_set == to_set))
    session.execute(insert(AreaLookup), [
        {"from_set": from_set, "from_code": f, "to_set": to_set, "to_code": t, "change": c or None}
        for f, t, c in zip(rows[from_column], rows[to_column],
                           rows[change_column] if change_column else [None] * len(rows))])
    unlinked = {s: len(known[s] - set(rows[col])) for s, col in ((from_set, from_column), (to_set, to_column))}
    report = {"file": name, "from_set": from_set, "to_set": to_set, "rows": len(rows), "unlinked": unlinked}
    audit.record(session, actor=actor, action="import", entity_type="lookup", entity_id=f"{from_set}>{to_set}",
                 after=report)
    return report


def lookup_pairs(session: Session, from_set: str, to_set: str) -> pd.DataFrame:
    """The stored lookup from one set to another (columns from_code, to_code, change); empty if none."""
    rows = session.execute(select(AreaLookup.from_code, AreaLookup.to_code, AreaLookup.change)
                           .where(AreaLookup.from_set == from_set, AreaLookup.to_set == to_set)).all()
    return pd.DataFrame(rows, columns=["from_code", "to_code", "change"])
