"""Progress towards a performance target: a red / amber / green status by a stated rule.

A target runs from a *baseline* (a value in a baseline period) to a *target value* by a target period, in a
*direction* (``increase`` or ``decrease``). Progress compares the latest actual value after the baseline with
the straight line (the *trajectory*) from the baseline to the target, by year. Periods are labels such as
``"2019"``, ``"2023/24"`` or ``"mid-2015"``; each is placed in time by the last four-digit year it holds.

The rule:

* **green** — the target is met, or the latest value is at least on the straight-line trajectory from the
  baseline to the target;
* **amber** — the latest value has moved in the target's direction from the baseline but is behind that
  trajectory;
* **red** — the latest value is no better than the baseline (unchanged, or moved the wrong way);
* **no data** — there is no actual value for a period after the baseline.

Pure functions (no Flask, no storage).
"""
from __future__ import annotations

import math
import re

DIRECTIONS = ("increase", "decrease")

#: The rule, in one plain-English sentence, as the pages state it.
RULE = ("Green: the target is met, or the latest value is at least on the straight line from the baseline to "
        "the target; amber: the latest value has moved in the target's direction from the baseline but is "
        "behind that line; red: the latest value is no better than the baseline; no data: there is no value "
        "after the baseline period.")

STATUS_WORDS = {"green": "On track", "amber": "Improving, but behind the trajectory",
                "red": "Not improving", "no data": "No data since the baseline"}
MET_WORDS = "Target met"
#: Tolerance for comparing shares of the gap (rounding in stored values must not flip a status).
EPSILON = 1e-9


class TargetError(ValueError):
    """A target that cannot be assessed; ``field`` names the argument at fault (or None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def period_year(label) -> int | None:
    """The year of a period label: its last four-digit year, or None when it has none.

    >>> period_year("2019"), period_year("2023/24"), period_year("mid-2015"), period_year("Q3")
    (2019, 2023, 2015, None)
    """
    years = re.findall(r"(?<!\d)\d{4}(?!\d)", str(label or ""))
    return int(years[-1]) if years else None


def check(*, baseline_period, baseline_value, target_period, target_value, direction) -> None:
    """Raise :class:`TargetError` unless the target makes sense.

    >>> check(baseline_period="2019", baseline_value=0.2, target_period="2026", target_value=0.25,
    ...       direction="decrease")
    Traceback (most recent call last):
    ...
    layers.targets.TargetError: To decrease, the target must be lower than the baseline.
    """
    if direction not in DIRECTIONS:
        raise TargetError("Choose whether the target is to increase or to decrease.", "direction")
    for field, value in (("baseline_value", baseline_value), ("target_value", target_value)):
        if not _finite(value):
            raise TargetError("Give a number.", field)
    for field, label in (("baseline_period", baseline_period), ("target_period", target_period)):
        if period_year(label) is None:
            raise TargetError("Give a period with a four-digit year, e.g. 2026 or 2025/26.", field)
    if period_year(target_period) <= period_year(baseline_period):
        raise TargetError(f"The target period must be after the baseline period ({baseline_period}).",
                          "target_period")
    if _sign(direction) * (target_value - baseline_value) <= 0:
        raise TargetError(f"To {direction}, the target must be "
                          f"{'higher' if direction == 'increase' else 'lower'} than the baseline.", "target_value")


def progress(*, baseline_period, baseline_value, target_period, target_value, direction, points) -> dict:
    """Assess progress towards a target from actual figures, by :data:`RULE`.

    ``points`` are ``(period, value, lower, upper)`` actual figures; values that are None or NaN, and periods
    without a year, are ignored. The latest point after the baseline year is compared with the trajectory.

    Returns ``status`` (``green``, ``amber``, ``red`` or ``no data``), ``status_words``, ``rule``, ``latest``
    (``{period, value, lower, upper}`` or None), ``expected`` (the trajectory's value at the latest year,
    the target itself from the target year on), ``gap_closed`` (share of the baseline-to-target gap closed:
    below 0 when worse than the baseline, above 1 when beyond the target), ``time_elapsed`` (share of the
    baseline-to-target years passed, at most 1), ``met`` and ``summary`` (one sentence, no units).
    ``expected``, ``gap_closed`` and ``time_elapsed`` are None without data.

    >>> on = progress(baseline_period="2020", baseline_value=10.0, target_period="2030", target_value=20.0,
    ...               direction="increase", points=[("2020", 10.0, None, None), ("2025", 16.0, 15.0, 17.0)])
    >>> on["status"], on["status_words"], on["expected"], on["gap_closed"], on["met"]
    ('green', 'On track', 15.0, 0.6, False)
    >>> behind = progress(baseline_period="2020", baseline_value=0.30, target_period="2030", target_value=0.20,
    ...                   direction="decrease", points=[("2025/26", 0.28, None, None)])
    >>> behind["status"], behind["latest"]["period"], round(behind["gap_closed"], 2)
    ('amber', '2025/26', 0.2)
    >>> progress(baseline_period="2020", baseline_value=10.0, target_period="2030", target_value=20.0,
    ...          direction="increase", points=[])["status"]
    'no data'
    """
    check(baseline_period=baseline_period, baseline_value=baseline_value, target_period=target_period,
          target_value=target_value, direction=direction)
    start, end = period_year(baseline_period), period_year(target_period)
    after = [(period_year(p), str(p), v, lo, hi) for p, v, lo, hi in points
             if _finite(v) and (period_year(p) or 0) > start]
    out = {"rule": RULE, "latest": None, "expected": None, "gap_closed": None, "time_elapsed": None,
           "met": False}
    if not after:
        return out | {"status": "no data", "status_words": STATUS_WORDS["no data"],
                      "summary": f"There is no figure after the baseline period ({baseline_period}) yet."}
    year, period, value, lower, upper = max(after, key=lambda point: point[:2])
    elapsed = min(1.0, (year - start) / (end - start))
    closed = (value - baseline_value) / (target_value - baseline_value)
    met = closed >= 1 - EPSILON
    if met or closed >= elapsed - EPSILON:
        status = "green"
    elif closed > EPSILON:
        status = "amber"
    else:
        status = "red"
    return out | {
        "status": status, "status_words": MET_WORDS if met else STATUS_WORDS[status],
        "latest": {"period": period, "value": float(value), "lower": _plain(lower), "upper": _plain(upper)},
        "expected": baseline_value + (target_value - baseline_value) * elapsed, "gap_closed": closed,
        "time_elapsed": elapsed, "met": met,
        "summary": _summary(period, closed, elapsed, baseline_period, target_period),
    }


def _summary(period: str, closed: float, elapsed: float, baseline_period, target_period) -> str:
    """Progress in one sentence, without units.

    >>> _summary("2024", -0.04, 0.6, "2021", "2026")
    'By 2024 the figure has moved away from the target since the baseline (2021), with 60% of the time gone.'
    """
    if closed < 0:
        return (f"By {period} the figure has moved away from the target since the baseline ({baseline_period}), "
                f"with {elapsed:.0%} of the time gone.")
    return (f"By {period}, {closed:.0%} of the gap from the baseline ({baseline_period}) to the target "
            f"({target_period}) has been closed, with {elapsed:.0%} of the time gone.")


def _sign(direction: str) -> int:
    return 1 if direction == "increase" else -1


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value) -> float | None:
    return float(value) if _finite(value) else None
