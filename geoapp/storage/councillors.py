"""Councillors per area of a set (per ward): read from a CSV or entered, checked, stored and audited.

A ward left out has an unknown count (not 0), so a forum holding it has no councillor total.
"""
from __future__ import annotations

import csv
import io

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from boundaries.codes import clean_code

from ..errors import InvalidInput
from . import audit, boundary_sets
from .models import Area, CouncillorCount

#: Most councillors one ward may have (English wards elect one to three).
MOST = 20
#: Header names accepted for the two columns of a councillors CSV.
CODE_COLUMNS = ("code", "ward_code", "ward code", "wd19cd", "wd20cd", "wd21cd", "wd22cd", "wd23cd", "block")
COUNT_COLUMNS = ("councillors", "count", "members", "seats")


def counts(session: Session, set_id: str) -> dict[str, int]:
    """Councillors per area code of the set (areas without a count are left out)."""
    return dict(session.execute(select(CouncillorCount.code, CouncillorCount.count)
                                .where(CouncillorCount.set_id == set_id)).all())


def version(session: Session, set_id: str) -> tuple:
    """Changes whenever the set's counts change (for caches)."""
    return tuple(session.execute(select(func.count(), func.max(CouncillorCount.updated_at))
                                 .where(CouncillorCount.set_id == set_id)).one())


def store(session: Session, set_id: str, entered: dict[str, object], *, source: str, user=None,
          actor: str | None = None) -> dict:
    """Set the counts given (code to a whole number, or blank to forget it); all or nothing.

    The change is audited as ``user`` (a signed-in officer) or ``actor`` (e.g. "cli").

    Raises InvalidInput naming every bad row; returns {"set", "changed", "cleared", "source"}.
    """
    boundary_sets.get_set(session, set_id)
    known = set(session.scalars(select(Area.code).where(Area.set_id == set_id)))
    problems, wanted = [], {}
    for raw_code, raw_count in entered.items():
        code = clean_code(raw_code)
        if code not in known:
            problems.append(f"{raw_code!s:.64}: not an area of {set_id}")
            continue
        text = "" if raw_count is None else str(raw_count).strip()
        if not text:
            wanted[code] = None
        elif not text.isdigit() or int(text) > MOST:
            problems.append(f"{code}: '{text:.20}' is not a whole number of councillors from 0 to {MOST}")
        else:
            wanted[code] = int(text)
    if problems:
        raise InvalidInput(f"Nothing was saved: {len(problems)} row(s) have problems.", details=problems)
    before = counts(session, set_id)
    user_id = user.id if user is not None else None
    changed = {c: n for c, n in wanted.items() if n is not None and before.get(c) != n}
    cleared = [c for c, n in wanted.items() if n is None and c in before]
    if cleared:
        session.execute(delete(CouncillorCount).where(CouncillorCount.set_id == set_id,
                                                      CouncillorCount.code.in_(cleared)))
    for code, count in changed.items():
        row = session.get(CouncillorCount, (set_id, code))
        if row is None:
            session.add(CouncillorCount(set_id=set_id, code=code, count=count, updated_by=user_id))
        else:
            row.count, row.updated_by = count, user_id
    session.flush()
    if changed or cleared:
        audit.record(session, actor=user.email if user is not None else actor or "unknown", user_id=user_id,
                     action="update", entity_type="councillors",
                     entity_id=set_id, before={c: before.get(c) for c in [*changed, *cleared]},
                     after={**changed, **dict.fromkeys(cleared)} | {"source": source})
    return {"set": set_id, "changed": len(changed), "cleared": len(cleared), "source": source}


def read_csv(data: bytes, filename: str = "the file") -> dict[str, str]:
    """Code to count from a CSV with a code column and a councillors column (names in CODE_COLUMNS and
    COUNT_COLUMNS, any case)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{filename} is not UTF-8 text: save it as CSV (UTF-8).") from None
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    code_at = next((header.index(c) for c in CODE_COLUMNS if c in header), None)
    count_at = next((header.index(c) for c in COUNT_COLUMNS if c in header), None)
    if code_at is None or count_at is None:
        raise InvalidInput(f"{filename} needs a ward code column ({', '.join(CODE_COLUMNS[:2])}) and a "
                           f"councillors column ({', '.join(COUNT_COLUMNS[:2])}); its columns are: "
                           f"{', '.join(header) or 'none'}.")
    found: dict[str, str] = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(code_at, count_at):
            problems.append(f"line {line}: too few columns")
            continue
        code = row[code_at].strip()
        if code in found:
            problems.append(f"line {line}: {code:.64} is listed twice")
        found[code] = row[count_at]
    if problems:
        raise InvalidInput(f"Nothing was saved: {filename} has {len(problems)} problem(s).", details=problems)
    return found
