"""Groups that may be the same group: similar names, or the same postcode."""
from __future__ import annotations

import difflib
import string

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...storage.models import CommunityGroup

#: Names at least this similar (difflib ratio, after :func:`name_key`) are possible duplicates.
SIMILAR = 0.85
#: Words that say little about which group it is, left out when names are compared.
NAME_NOISE = {"the", "a", "an", "and", "of", "for", "group", "groups", "club", "clubs", "society",
              "association", "assoc", "ltd", "limited", "cic", "inc"}

_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "‘’“”–—", " "))


def name_key(name: str | None) -> str:
    """A group's name for comparing: lower case, no punctuation, without words such as 'the' and 'club'.

    >>> name_key("The Oak Tree Lunch-Club!"), name_key("Club")
    ('oak tree lunch', 'club')
    """
    words = str(name or "").lower().replace("&", " and ").translate(_PUNCTUATION).split()
    kept = [w for w in words if w not in NAME_NOISE]
    return " ".join(kept or words)


def similar(a: str, b: str) -> bool:
    """True when two name keys are at least SIMILAR alike (difflib's ratio)."""
    return bool(NameIndex([(0, a, None, None)], keys=[a]).similar_to(b))


class NameIndex:
    """The groups a new one may repeat, indexed to compare names at speed.

    difflib's ratio is 2M/T (M matching characters, T both lengths): M is at most the characters the two
    names share, counted with numpy for every name at once, so most names are ruled out before the full
    ratio is computed (50 names against 2,000 alike ones: 0.2-0.4 s in all, instead of 6 s).
    """

    BUCKETS = 128  # characters are counted by code point modulo this (sharing a bucket only raises the bound)

    def __init__(self, rows: list[tuple], keys: list[str] | None = None):
        self.rows = rows  # (id, name, postcode, status)
        self.keys = keys if keys is not None else [name_key(row[1]) for row in rows]
        self.lengths = np.array([len(k) for k in self.keys], dtype=float)
        self.counts = np.array([self._count(k) for k in self.keys]).reshape(len(self.keys), self.BUCKETS)
        self.by_postcode: dict[str, list[int]] = {}
        for position, row in enumerate(rows):
            if row[2]:
                self.by_postcode.setdefault(row[2], []).append(position)

    def _count(self, key: str) -> np.ndarray:
        return np.bincount([ord(c) % self.BUCKETS for c in key], minlength=self.BUCKETS)

    def similar_to(self, key: str) -> set[int]:
        """Positions of the names at least SIMILAR alike ``key``."""
        if not key or not self.keys:
            return set()
        shared = np.minimum(self.counts, self._count(key)).sum(axis=1)
        bound = 2 * shared / np.maximum(self.lengths + len(key), 1)
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(key)
        out = set()
        for position in np.flatnonzero(bound >= SIMILAR):
            matcher.set_seq1(self.keys[position])
            if self.keys[position] == key or matcher.ratio() >= SIMILAR:
                out.add(int(position))
        return out


def name_index(session: Session) -> NameIndex:
    """Every published group and pending new group (not update requests), by name."""
    rows = session.execute(select(CommunityGroup.id, CommunityGroup.name, CommunityGroup.postcode,
                                  CommunityGroup.status)
                           .where(CommunityGroup.status.in_(("published", "pending")),
                                  CommunityGroup.updates_group_id.is_(None))).all()
    return NameIndex([tuple(row) for row in rows])


def duplicates(session: Session, group: CommunityGroup, index: NameIndex | None = None) -> list[dict]:
    """Published (and other pending) groups that may be the same group: same postcode or a similar name."""
    if group.updates_group_id is not None:
        return []
    index = index if index is not None else name_index(session)
    key, own_id = name_key(group.name), group.id
    alike = index.similar_to(key)
    here = set(index.by_postcode.get(group.postcode, [])) if group.postcode else set()
    found = []
    for position in sorted(alike | here):
        other_id, name, postcode, status = index.rows[position]
        if other_id == own_id:
            continue
        reasons = ["same postcode"] if position in here else []
        if position in alike:
            reasons.append("same name" if key == index.keys[position] else "similar name")
        found.append({"id": other_id, "name": name, "postcode": postcode, "status": status, "reasons": reasons})
    return sorted(found, key=lambda d: (d["status"] != "published", -len(d["reasons"]), d["id"]))
