"""Answers remembered for the length of one session's reading: versions and lists asked for many times
while one page is built. Anything the session writes (a flush), and the end of its transaction, forgets them."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")
_KEY = "atlas_memo"


def remembered(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` until the session writes or its transaction ends."""
    if session.new or session.dirty or session.deleted:  # changes waiting to be flushed: read afresh
        _forget(session)
        return compute()
    memo = session.info.setdefault(_KEY, {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _forget(session: Session, *_args) -> None:
    session.info.pop(_KEY, None)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget)
