"""The areas of one set for listing: codes and names, and the district holding each (from the links between
sets), each read in one query."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from .models import Area, AreaLink


def set_areas(session: Session, set_id: str) -> pd.DataFrame:
    """``code`` and ``name`` of every area of ``set_id``, by name then code (no geometry)."""
    query = select(Area.code, Area.name).where(Area.set_id == set_id).order_by(Area.name, Area.code)
    return pd.DataFrame(session.execute(query).all(), columns=["code", "name"])


def area_districts(session: Session, set_id: str, district_set_id: str) -> pd.DataFrame:
    """For each area of ``set_id`` linked to an area of ``district_set_id``: ``code``, ``district`` (code),
    ``district_name`` and ``share`` of the area inside it, keeping the district holding most of each area."""
    container = aliased(Area)
    query = (select(Area.code, container.code, container.name, AreaLink.share)
             .join(AreaLink, AreaLink.area_id == Area.id)
             .join(container, container.id == AreaLink.container_id)
             .where(Area.set_id == set_id, container.set_id == district_set_id)
             .order_by(Area.code, AreaLink.share.desc(), container.code))
    frame = pd.DataFrame(session.execute(query).all(), columns=["code", "district", "district_name", "share"])
    return frame.drop_duplicates("code").reset_index(drop=True)
