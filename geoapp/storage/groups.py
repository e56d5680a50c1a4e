"""Community groups in and out of the store, as GeoDataFrames of points in EPSG:27700.

Only published groups are read here, and never the moderation columns (who sent a record, the
editor's decision). What a particular reader may see of a group's contact details is decided by
:mod:`geoapp.groups.directory.listing`.
"""
from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from boundaries.crs import STORAGE_CRS
from layers.groups import CONTACT_FIELDS, SIZES, size_class

from . import audit
from .models import CommunityGroup

#: Stored columns anyone may read, as stored.
PUBLIC_COLUMNS = ("id", "name", "description", "group_type", "themes", "serves", "website", "address",
                  "postcode", "charity_number", "last_verified", "source", "licence", "fictional")
#: The fields a reader is given, in order (the directory, its exports, the API): the public columns,
#: ``size`` as its class word ("micro" ... "major"), and the contact fields, which are empty unless the
#: reader may see them.
PUBLIC_FIELDS = (*PUBLIC_COLUMNS[:7], "size", *PUBLIC_COLUMNS[7:9], *CONTACT_FIELDS, *PUBLIC_COLUMNS[9:])


def add_groups(session: Session, groups: gpd.GeoDataFrame, *, actor: str, source: str,
               licence: str | None = None, fictional: bool = False) -> int:
    """Store published groups (name, group_type, themes, serves, ... and point geometry) in one batch, with
    the list's source and licence line."""
    columns = [c.key for c in CommunityGroup.__table__.columns]
    rows = []
    for record, geom in zip(groups.drop(columns="geometry").to_dict("records"), groups.geometry):
        row = {k: v for k, v in record.items() if k in columns and not (isinstance(v, float) and pd.isna(v))}
        rows.append(row | {"location": geom, "source": source, "licence": licence, "fictional": fictional,
                           "status": row.get("status", "published")})
    if rows:
        session.execute(insert(CommunityGroup), rows)
        audit.record(session, actor=actor, action="import", entity_type="community_groups",
                     entity_id=source[:100], after={"groups": len(rows)})
    return len(rows)


def published_records(session: Session, *, group_types: Sequence[str] | None = None,
                      located: bool = False) -> gpd.GeoDataFrame:
    """Every published group, ordered by id: the public columns, ``size`` and ``contact`` as stored, and
    the point (None where the group has none, unless ``located``). Only ``group_types`` when given.

    The contact details are all here, whatever their visibility: pass the frame through
    :func:`geoapp.groups.directory.listing.visible` before showing it to anyone.
    """
    where = [CommunityGroup.status == "published"]
    if located:
        where.append(CommunityGroup.location.is_not(None))
    if group_types is not None:
        where.append(CommunityGroup.group_type.in_(list(group_types)))
    names = [*PUBLIC_COLUMNS, "size", "contact"]
    rows = session.execute(select(*(getattr(CommunityGroup, n) for n in names), CommunityGroup.location)
                           .where(*where).order_by(CommunityGroup.id)).all()
    frame = pd.DataFrame(rows, columns=[*names, "geometry"])
    for column in ("themes", "serves"):
        frame[column] = [list(v) if isinstance(v, list) else [] for v in frame[column]]
    frame["fictional"] = frame["fictional"].fillna(False).astype(bool)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)


def counted_records(session: Session) -> gpd.GeoDataFrame:
    """Every published group with what counting by area needs, indexed by id: name, group_type, themes
    (a list), size as stored, scope, served_codes, served_area and the point (None where it has none)."""
    rows = session.execute(
        select(CommunityGroup.id, CommunityGroup.name, CommunityGroup.group_type, CommunityGroup.themes,
               CommunityGroup.size, CommunityGroup.serves_scope, CommunityGroup.served_area_codes,
               CommunityGroup.served_area, CommunityGroup.location)
        .where(CommunityGroup.status == "published").order_by(CommunityGroup.id)).all()
    frame = pd.DataFrame(rows, columns=["id", "name", "group_type", "themes", "size", "scope", "served_codes",
                                        "served_area", "geometry"])
    frame["themes"] = [list(t or []) for t in frame["themes"]]
    return gpd.GeoDataFrame(frame.set_index("id"), geometry="geometry", crs=STORAGE_CRS)


def published_groups(session: Session, *, bbox: tuple[float, float, float, float] | None = None,
                     limit: int | None = None, offset: int = 0) -> tuple[gpd.GeoDataFrame, int]:
    """A page of published groups that have a point, ordered by id, and the number matched.

    Columns: the public columns and ``size`` as its class word; no contact details.
    """
    frame = published_records(session, located=True)
    frame = frame.assign(size=[size_word(s) for s in frame["size"]])
    frame = frame.drop(columns="contact")[[*PUBLIC_COLUMNS[:7], "size", *PUBLIC_COLUMNS[7:], "geometry"]]
    if bbox is not None:
        frame = frame.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]
    matched = len(frame)
    frame = frame.iloc[offset: None if limit is None else offset + limit]
    return frame, matched


def size_word(size) -> str | None:
    """A stored size as its class word ("micro" ... "major"): from the size record, or a word stored as text."""
    if isinstance(size, dict):
        return size_class(size)
    return size if size in SIZES else None


def groups_version(session: Session) -> tuple:
    """Changes whenever a group is added, changed or removed: the count and the latest change."""
    count, latest = session.execute(select(func.count(CommunityGroup.id), func.max(CommunityGroup.updated_at))).one()
    return count, latest.isoformat() if latest else None


def group_count(session: Session) -> int:
    """How many groups are published."""
    return session.scalar(select(func.count()).select_from(CommunityGroup)
                          .where(CommunityGroup.status == "published"))
