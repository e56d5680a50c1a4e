"""Community groups in and out of the store, as GeoDataFrames of points in EPSG:27700."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from boundaries.crs import STORAGE_CRS

from . import audit
from .models import CommunityGroup

PUBLIC_FIELDS = ("id", "name", "description", "group_type", "themes", "serves", "website", "postcode",
                 "fictional")


def add_groups(session: Session, groups: gpd.GeoDataFrame, *, actor: str, source: str,
               fictional: bool = False) -> int:
    """Store published groups (name, group_type, themes, serves, ... and point geometry) in one batch."""
    columns = [c.key for c in CommunityGroup.__table__.columns]
    rows = []
    for record, geom in zip(groups.drop(columns="geometry").to_dict("records"), groups.geometry):
        row = {k: v for k, v in record.items() if k in columns and not (isinstance(v, float) and pd.isna(v))}
        rows.append(row | {"location": geom, "source": source, "fictional": fictional,
                           "status": row.get("status", "published")})
    if rows:
        session.execute(insert(CommunityGroup), rows)
        audit.record(session, actor=actor, action="import", entity_type="community_groups",
                     entity_id=source[:100], after={"groups": len(rows)})
    return len(rows)


def published_groups(session: Session, *, bbox: tuple[float, float, float, float] | None = None,
                     limit: int | None = None, offset: int = 0) -> tuple[gpd.GeoDataFrame, int]:
    """A page of published groups with public fields only, ordered by id, and the number matched."""
    where = [CommunityGroup.status == "published", CommunityGroup.location.is_not(None)]
    frame_cols = [getattr(CommunityGroup, f) for f in PUBLIC_FIELDS]
    rows = session.execute(select(*frame_cols, CommunityGroup.location).where(*where)
                           .order_by(CommunityGroup.id)).all()
    frame = gpd.GeoDataFrame(pd.DataFrame(rows, columns=[*PUBLIC_FIELDS, "geometry"]),
                             geometry="geometry", crs=STORAGE_CRS)
    if bbox is not None:
        frame = frame.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]
    matched = len(frame)
    frame = frame.iloc[offset: None if limit is None else offset + limit]
    return frame, matched


def groups_version(session: Session) -> tuple:
    """Changes whenever a group is added, changed or removed: the count and the latest change."""
    count, latest = session.execute(select(func.count(CommunityGroup.id), func.max(CommunityGroup.updated_at))).one()
    return count, latest.isoformat() if latest else None


def group_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CommunityGroup)
                          .where(CommunityGroup.status == "published"))
