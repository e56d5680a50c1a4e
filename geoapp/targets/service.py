"""Performance targets for areas: stored, audited, and assessed against the area's actual figures."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.figures import display_factor, plain
from layers.targets import TargetError, check, period_year, progress

from ..errors import InvalidInput, NotFound
from ..figures import figures, get_indicator
from ..storage import audit, boundary_sets, locks
from ..storage.indicators import indicator_summary, periods
from ..storage.models import Target

FIELDS = ("indicator_id", "set_id", "code", "period", "baseline_period", "baseline_value", "target_value",
          "direction", "label")
#: Longest text each field may hold (the columns' lengths).
LENGTHS = {"code": 64, "period": 40, "baseline_period": 40, "label": 200}
#: Units that are words rather than a suffix after the number ("12 people" reads better as "12").
WORD_UNITS = ("score", "people", "rank", "decile")


class TargetInvalid(InvalidInput):
    """A target with problems in named fields; ``fields`` maps each field to what is wrong with it."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("The target has problems: nothing was saved.",
                         details=[f"{field}: {message}" for field, message in fields.items()])
        self.fields = fields


def get_target(session: Session, target_id: int) -> Target:
    target = session.get(Target, target_id)
    if target is None:
        raise NotFound(f"There is no target number {target_id}.")
    return target


def _locked(session: Session, target_id: int) -> Target:
    """The target, locked to the end of the transaction and read again; NotFound once deleted."""
    target = get_target(session, target_id)
    if not locks.claim(session, Target, target.id):
        raise NotFound(f"The target {target_id} has just been deleted by someone else.")
    return session.get(Target, target.id, populate_existing=True)


def list_targets(session: Session, set_id: str | None = None, code: str | None = None) -> list[Target]:
    """Targets, optionally of one set and area code, by set, area, indicator and period."""
    query = select(Target).order_by(Target.set_id, Target.code, Target.indicator_id, Target.period)
    if set_id:
        query = query.where(Target.set_id == set_id)
    if code:
        query = query.where(Target.code == code)
    return list(session.scalars(query))


def target_fields(target: Target) -> dict:
    """A target's stored fields, JSON-ready (values in the indicator's stored units)."""
    return {"id": target.id} | {f: getattr(target, f) for f in FIELDS} | {
        "created_by": target.created_by,
        "created_at": target.created_at.isoformat() if target.created_at else None,
        "updated_at": target.updated_at.isoformat() if target.updated_at else None}


def actual_value(session: Session, indicator_id: str, set_id: str, code: str, period: str) -> float | None:
    """The area's figure of an indicator in one period, or None when none is held."""
    if period not in periods(session, indicator_id):
        return None
    return _row(figures(session, set_id, [indicator_id], period=period, with_borough=False)[indicator_id],
                code)["value"]


def save_target(session: Session, *, actor: str, user_id: int | None, indicator_id: str, set_id: str, code: str,
                period: str, baseline_period: str, baseline_value: float | None, target_value: float,
                direction: str, label: str | None = None, target_id: int | None = None) -> Target:
    """Create a target, or change target ``target_id``; audited (what changed). Values in stored units.

    A ``baseline_value`` of None takes the area's actual value for the baseline period. Raises
    :class:`TargetInvalid` naming each field at fault, and nothing is stored.
    """
    target = _locked(session, target_id) if target_id is not None else None
    values = {"indicator_id": indicator_id, "set_id": set_id, "code": (code or "").strip(),
              "period": (period or "").strip(), "baseline_period": (baseline_period or "").strip(),
              "baseline_value": baseline_value, "target_value": target_value, "direction": direction,
              "label": (label or "").strip() or None}
    problems = _check_refs(session, values)
    problems |= {f: f"This can be at most {n} characters long." for f, n in LENGTHS.items()
                 if len(values[f] or "") > n}
    if values["baseline_value"] is None and not problems.keys() & {"indicator_id", "set_id", "code",
                                                                     "baseline_period"}:
        values["baseline_value"] = actual_value(session, indicator_id, set_id, values["code"],
                                                values["baseline_period"])
        if values["baseline_value"] is None:
            problems["baseline_value"] = (f"No figure of this indicator is held for the area in "
                                          f"{values['baseline_period']}: type the baseline value.")
    if values["baseline_value"] is not None:
        try:
            check(baseline_period=values["baseline_period"], baseline_value=values["baseline_value"],
                  target_period=values["period"], target_value=target_value, direction=direction)
        except TargetError as error:
            problems.setdefault({"target_period": "period"}.get(error.field, error.field), str(error))
    if not problems:  # one target per indicator, area and period, even when two officers set it at once
        locks.serialize(session, "target:" + ":".join(str(values[f]) for f in ("indicator_id", "set_id", "code",
                                                                               "period")))
    if not problems and _duplicate(session, values, target_id):
        problems["period"] = "This area already has a target for this indicator and period."
    if problems:
        raise TargetInvalid(problems)
    if target is None:
        target = Target(created_by=user_id, **values)
        session.add(target)
        session.flush()
        audit.record(session, actor=actor, user_id=user_id, action="create", entity_type="target",
                     entity_id=str(target.id), after=values)
        return target
    before = {f: getattr(target, f) for f in FIELDS if getattr(target, f) != values[f]}
    if before:
        for field in before:
            setattr(target, field, values[field])
        session.flush()
        audit.record(session, actor=actor, user_id=user_id, action="edit", entity_type="target",
                     entity_id=str(target.id), before=before, after={f: values[f] for f in before})
    return target


def delete_target(session: Session, target_id: int, *, actor: str) -> dict:
    """Delete a target; audited. Returns its fields as they were."""
    target = _locked(session, target_id)
    before = target_fields(target)
    session.delete(target)
    session.flush()
    audit.record(session, actor=actor, action="delete", entity_type="target", entity_id=str(target_id),
                 before={f: before[f] for f in FIELDS})
    return before


def progress_for_area(session: Session, set_id: str, code: str) -> list[dict]:
    """Every target of one area with the area's actual figures and its progress (see :func:`describe`)."""
    return describe(session, list_targets(session, set_id, code))


def describe(session: Session, targets: list[Target]) -> list[dict]:
    """Each target with its indicator, area, actual figures and progress, as JSON-ready dicts.

    One dict per target, in the order given:

    - ``target``: the stored fields (:func:`target_fields`; values in stored units);
    - ``indicator``: the indicator's summary (id, title, theme, type, polarity, unit, source, licence, ...);
    - ``area``: ``{set_id, set_name, code, name}``;
    - ``actuals``: ``[{period, value, lower, upper}]`` for every period the indicator has, oldest first
      (stored units, 95% interval; None where there is no figure);
    - ``progress``: :func:`layers.targets.progress` (``status``, ``status_words``, ``rule``, ``latest``,
      ``expected``, ``gap_closed``, ``time_elapsed``, ``met``, ``summary``);
    - ``display_factor``: multiply stored values by it to show them (100 for percentages);
    - ``unit``: the suffix to show after a displayed value ("%"; empty for word units such as people).

    So a template shows ``value * display_factor`` followed by ``unit``, e.g. "12.3%".
    """
    series: dict[tuple[str, str], dict[str, list[dict]]] = {}
    out = []
    for target in targets:
        key = (target.indicator_id, target.set_id)
        if key not in series:
            series[key] = _series(session, *key, [t.code for t in targets if (t.indicator_id, t.set_id) == key])
        indicator = get_indicator(session, target.indicator_id)
        actuals = series[key][target.code]
        area = boundary_sets.get_area(session, target.set_id, target.code)
        out.append({
            "target": target_fields(target),
            "indicator": indicator_summary(indicator),
            "area": {"set_id": target.set_id, "set_name": boundary_sets.get_set(session, target.set_id).name,
                     "code": target.code, "name": area.name},
            "actuals": actuals,
            "progress": progress(baseline_period=target.baseline_period, baseline_value=target.baseline_value,
                                 target_period=target.period, target_value=target.target_value,
                                 direction=target.direction,
                                 points=[(a["period"], a["value"], a["lower"], a["upper"]) for a in actuals]),
            "display_factor": display_factor(indicator),
            "unit": "" if indicator.unit in WORD_UNITS else (indicator.unit or ""),
        })
    return out


def _series(session: Session, indicator_id: str, set_id: str, codes: list[str]) -> dict[str, list[dict]]:
    """The areas' figures for every period of an indicator, oldest first: {code: [{period, value, ...}]}."""
    held = sorted(periods(session, indicator_id), key=lambda p: (period_year(p) or 0, p))
    out: dict[str, list[dict]] = {code: [] for code in codes}
    for period in held:
        result = figures(session, set_id, [indicator_id], period=period, with_borough=False)[indicator_id]
        for code in out:
            out[code].append({"period": period} | _row(result, code))
    return out


def _row(result, code: str) -> dict:
    if code not in result.table.index:
        return {"value": None, "lower": None, "upper": None}
    row = result.table.loc[code]
    return {k: plain(row[k]) for k in ("value", "lower", "upper")}


def _check_refs(session: Session, values: dict) -> dict[str, str]:
    """Problems :func:`layers.targets.check` does not judge: the indicator, set and area, blank fields."""
    problems = {}
    try:
        get_indicator(session, values["indicator_id"] or "")
    except NotFound:
        problems["indicator_id"] = "Choose an indicator."
    try:
        boundary_sets.get_set(session, values["set_id"] or "")
    except NotFound:
        problems["set_id"] = "Choose a boundary set."
    else:
        if not values["code"]:
            problems["code"] = "Give the area's code."
        elif not _area_exists(session, values):
            problems["code"] = f"The boundary set '{values['set_id']}' has no area with the code '{values['code']}'."
    for field in ("period", "baseline_period"):
        if not values[field]:
            problems[field] = "Give a period, e.g. 2026 or 2025/26."
    return problems


def _area_exists(session: Session, values: dict) -> bool:
    try:
        boundary_sets.get_area(session, values["set_id"], values["code"])
    except NotFound:
        return False
    return True


def _duplicate(session: Session, values: dict, target_id: int | None) -> bool:
    query = select(Target.id).where(Target.indicator_id == values["indicator_id"], Target.set_id == values["set_id"],
                                    Target.code == values["code"], Target.period == values["period"])
    if target_id is not None:
        query = query.where(Target.id != target_id)
    return session.scalar(query) is not None
