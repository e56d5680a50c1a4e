"""Areas built from other areas: Area Partnership Boards from wards, say.

An *assignment* table maps each block (a ward, an LSOA, ...) to the group it
belongs to.  :func:`check_grouping` lists everything wrong with it, so a
proposal editor can show it live; :func:`dissolve_groups` builds the groups'
boundaries once the assignment is sound.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely

from boundaries.adjacency import adjacency_graph, pieces
from boundaries.codes import clean_code, is_blank
from boundaries.errors import GroupingError, Problem


def check_grouping(
    blocks: gpd.GeoDataFrame,
    assignment: pd.DataFrame,
    *,
    block_field: str = "block_code",
    group_field: str = "group_code",
    graph: nx.Graph | None = None,
    tolerance: float = 1.0,
) -> list[Problem]:
    """List every problem with an assignment of blocks to groups.

    Parameters
    ----------
    blocks : GeoDataFrame
        The building blocks, with ``code``, ``name`` and geometry columns.
    assignment : DataFrame
        One row per block and group: ``block_field`` and ``group_field`` columns.
    block_field, group_field : str
        The assignment's columns holding block codes and group codes.
    graph : networkx.Graph, optional
        Neighbours among the blocks (from :func:`adjacency_graph`); built with
        ``tolerance`` when not given.
    tolerance : float
        Largest gap in metres between blocks still counted as neighbours.

    Returns
    -------
    list of Problem
        Empty when every block is in exactly one group and every group is in
        one piece.  Otherwise one problem per: assignment row with a blank block
        or group code, or a block code that is not one of the blocks; block in
        more than one group; block in no group; group in more than one piece
        (listing the blocks of each piece).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> blocks = gpd.GeoDataFrame({"code": ["a", "b", "c"], "name": ["A", "B", "C"]},
    ...     geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)], crs="EPSG:27700")
    >>> assignment = pd.DataFrame({"block_code": ["a", "b", "c"], "group_code": ["x", "y", "x"]})
    >>> for problem in check_grouping(blocks, assignment):
    ...     print(problem)
    code x: group x is in 2 separate pieces: (a), (c)
    """
    missing = [field for field in (block_field, group_field) if field not in assignment.columns]
    if missing:
        columns = ", ".join(map(str, assignment.columns)) or "none"
        return [
            _problem(None, f"the assignment has no '{field}' column (its columns: {columns})")
            for field in missing
        ]
    codes = [clean_code(code) for code in blocks["code"]]
    names = dict(zip(codes, blocks["name"])) if "name" in blocks.columns else {}
    known = set(codes)
    problems: list[Problem] = []
    groups_of: dict[str, set[str]] = {}
    members: dict[str, set[str]] = {}
    seen: set[str] = set()
    rows = zip(assignment[block_field].tolist(), assignment[group_field].tolist())
    for row, (block_value, group_value) in enumerate(rows, start=1):
        block, group = clean_code(block_value), clean_code(group_value)
        if block is None:
            problems.append(_problem(group, f"assignment row {row}: no block code"))
            continue
        seen.add(block)
        if block not in known:
            problems.append(_problem(block, f"assignment row {row}: {block} is not one of the blocks"))
        elif group is None:
            problems.append(
                _problem(block, f"assignment row {row}: {_label(block, names)} has no group code")
            )
        else:
            groups_of.setdefault(block, set()).add(group)
            members.setdefault(group, set()).add(block)
    problems += [
        _problem(block, f"{_label(block, names)} is in more than one group: {', '.join(sorted(groups))}")
        for block, groups in groups_of.items()
        if len(groups) > 1
    ]
    problems += [
        _problem(code, f"{_label(code, names)} is in no group (every block must be in one)", feature=position)
        for position, code in enumerate(codes, start=1)
        if code is not None and code not in seen
    ]
    if graph is None:
        graph = adjacency_graph(blocks.assign(code=codes), tolerance=tolerance)
    for group, blocks_in_group in members.items():
        parts = pieces(graph, blocks_in_group)
        if len(parts) > 1:
            listed = ", ".join(f"({', '.join(sorted(part))})" for part in parts)
            problems.append(_problem(group, f"group {group} is in {len(parts)} separate pieces: {listed}"))
    return problems


def dissolve_groups(
    blocks: gpd.GeoDataFrame,
    assignment: pd.DataFrame,
    *,
    block_field: str = "block_code",
    group_field: str = "group_code",
    name_field: str = "group_name",
    tolerance: float = 1.0,
) -> gpd.GeoDataFrame:
    """Build each group's boundary by dissolving its blocks.

    Parameters
    ----------
    blocks : GeoDataFrame
        The building blocks, with ``code``, ``name`` and geometry columns.
    assignment : DataFrame
        Maps block codes (``block_field``) to group codes (``group_field``) and,
        optionally, group names (``name_field``; the code is used without one).
    block_field, group_field, name_field : str
        The assignment's columns.
    tolerance : float
        Largest gap in metres between blocks still counted as neighbours.

    Returns
    -------
    GeoDataFrame
        One row per group, in the order groups first appear in the assignment:
        ``code``, ``name``, ``block_codes`` (sorted list) and ``geometry``
        (MultiPolygon, the union of the blocks), in the blocks' CRS.

    Raises
    ------
    GroupingError
        With every problem :func:`check_grouping` finds, and any group given
        more than one name.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> blocks = gpd.GeoDataFrame({"code": ["a", "b"], "name": ["A", "B"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:27700")
    >>> assignment = pd.DataFrame({"block_code": ["a", "b"], "group_code": ["x", "x"],
    ...                            "group_name": ["Group X", "Group X"]})
    >>> groups = dissolve_groups(blocks, assignment)
    >>> groups[["code", "name", "block_codes"]].to_dict("records")
    [{'code': 'x', 'name': 'Group X', 'block_codes': ['a', 'b']}]
    >>> groups.geometry[0].area
    2.0
    """
    problems = check_grouping(
        blocks, assignment, block_field=block_field, group_field=group_field, tolerance=tolerance
    )
    names: dict[str, set[str]] = {}
    if group_field in assignment.columns and name_field in assignment.columns:
        for group, name in zip(assignment[group_field], assignment[name_field]):
            if clean_code(group) is not None and not is_blank(name):
                names.setdefault(clean_code(group), set()).add(str(name).strip())
    problems += [
        _problem(group, f"group {group} is given more than one name: {', '.join(sorted(found))}")
        for group, found in names.items()
        if len(found) > 1
    ]
    if problems:
        raise GroupingError(f"the blocks cannot be grouped as assigned: {len(problems)} problem(s)", problems)
    geometry_of = dict(zip((clean_code(code) for code in blocks["code"]), blocks.geometry))
    blocks_of: dict[str, list[str]] = {}
    for block, group in zip(assignment[block_field], assignment[group_field]):
        blocks_of.setdefault(clean_code(group), []).append(clean_code(block))
    rows = []
    for group, block_codes in blocks_of.items():
        merged = shapely.union_all([geometry_of[code] for code in block_codes])
        rows.append(
            {
                "code": group,
                "name": next(iter(names.get(group, ())), group),
                "block_codes": sorted(set(block_codes)),
                "geometry": merged
                if isinstance(merged, shapely.MultiPolygon)
                else shapely.MultiPolygon([merged]),
            }
        )
    return gpd.GeoDataFrame(
        rows, columns=["code", "name", "block_codes", "geometry"], geometry="geometry", crs=blocks.crs
    )


def _label(code: str, names: dict[str, object]) -> str:
    """A block as people know it: 'Blacon (E05012209)', or just the code."""
    name = names.get(code)
    return code if is_blank(name) or str(name) == code else f"{name} ({code})"


def _problem(code: str | None, message: str, *, feature: int | None = None) -> Problem:
    """A problem with an assignment: it names a block or group code, and a block's position when known."""
    return Problem(None, None, feature, code, message)
