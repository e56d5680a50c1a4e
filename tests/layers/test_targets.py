"""Progress towards targets: worked cases of each status in both directions, edge cases and validation."""
from __future__ import annotations

import math

import pytest

from layers.targets import RULE, TargetError, check, period_year, progress


def assess(points, *, baseline=("2020", 10.0), target=("2030", 20.0), direction="increase"):
    return progress(baseline_period=baseline[0], baseline_value=baseline[1], target_period=target[0],
                    target_value=target[1], direction=direction, points=points)


@pytest.mark.parametrize("label, year", [("2019", 2019), ("2023/24", 2023), ("mid-2015", 2015),
                                         ("2015 to 2017", 2017), ("FY2024-25", 2024), ("Q3", None),
                                         ("", None), (None, None), ("20245", None)])
def test_period_year_is_the_last_four_digit_year(label, year):
    assert period_year(label) == year


# Increase from 10 (2020) to 20 (2030): by 2025 the straight line is at 15.
@pytest.mark.parametrize("value, status, words, met", [
    (15.0, "green", "On track", False),       # exactly on the line
    (18.0, "green", "On track", False),       # ahead of it
    (20.0, "green", "Target met", True),      # met early
    (23.0, "green", "Target met", True),      # beyond the target
    (12.0, "amber", "Improving, but behind the trajectory", False),
    (10.0, "red", "Not improving", False),    # latest equals the baseline
    (8.0, "red", "Not improving", False),     # the wrong way
])
def test_increase_each_status(value, status, words, met):
    out = assess([("2020", 10.0, None, None), ("2025", value, None, None)])
    assert (out["status"], out["status_words"], out["met"]) == (status, words, met)
    assert out["expected"] == pytest.approx(15.0)
    assert out["time_elapsed"] == pytest.approx(0.5)
    assert out["gap_closed"] == pytest.approx((value - 10.0) / 10.0)
    assert out["rule"] == RULE


# Decrease from 30% (2019) to 20% (2029), stored as fractions: by 2024 the line is at 25%.
@pytest.mark.parametrize("value, status", [(0.25, "green"), (0.22, "green"), (0.19, "green"), (0.28, "amber"),
                                           (0.30, "red"), (0.33, "red")])
def test_decrease_each_status(value, status):
    out = assess([("2024", value, value - 0.01, value + 0.01)], baseline=("2019", 0.30), target=("2029", 0.20),
                 direction="decrease")
    assert out["status"] == status
    assert out["expected"] == pytest.approx(0.25)
    assert out["gap_closed"] == pytest.approx((0.30 - value) / 0.10)
    assert out["met"] is (value <= 0.20)
    assert out["latest"] == {"period": "2024", "value": value, "lower": pytest.approx(value - 0.01),
                             "upper": pytest.approx(value + 0.01)}


def test_negative_gap_closed_when_worse_than_baseline():
    out = assess([("2024", 0.35, None, None)], baseline=("2019", 0.30), target=("2029", 0.20), direction="decrease")
    assert out["gap_closed"] == pytest.approx(-0.5) and out["status"] == "red"
    assert out["summary"] == ("By 2024 the figure has moved away from the target since the baseline (2019), "
                              "with 50% of the time gone.")


def test_target_year_reached_without_meeting_it_is_amber_or_red():
    ahead_of_baseline = assess([("2030", 19.0, None, None)])
    assert ahead_of_baseline["status"] == "amber"
    assert ahead_of_baseline["expected"] == 20.0 and ahead_of_baseline["time_elapsed"] == 1.0
    assert assess([("2030", 9.0, None, None)])["status"] == "red"
    assert assess([("2030", 20.0, None, None)])["status_words"] == "Target met"


def test_after_the_target_year_the_line_stops_at_the_target():
    out = assess([("2033/34", 19.5, None, None)])
    assert out["expected"] == 20.0 and out["time_elapsed"] == 1.0 and out["status"] == "amber"


def test_no_data_after_the_baseline():
    for points in ([], [("2020", 12.0, None, None)], [("2018", 5.0, None, None), ("2020", 10.0, None, None)],
                   [("2024", None, None, None), ("2025", math.nan, None, None)], [("Q3", 15.0, None, None)]):
        out = assess(points)
        assert out["status"] == "no data" and out["status_words"] == "No data since the baseline"
        assert out["latest"] is None and out["expected"] is None and out["gap_closed"] is None
        assert out["met"] is False and "2020" in out["summary"]


def test_the_latest_period_after_the_baseline_is_used_whatever_the_order():
    out = assess([("2026/27", 17.0, None, None), ("2022", 11.0, None, None), ("2027", None, None, None)])
    assert out["latest"]["period"] == "2026/27"
    assert out["expected"] == pytest.approx(16.0) and out["status"] == "green"
    assert out["summary"] == ("By 2026/27, 70% of the gap from the baseline (2020) to the target (2030) has "
                              "been closed, with 60% of the time gone.")


def test_rounding_does_not_flip_on_the_line_to_amber():
    out = assess([("2023", 0.1 + 0.2, None, None)], baseline=("2020", 0.0), target=("2030", 1.0))
    assert out["status"] == "green"  # 0.30000000000000004 vs 0.3 on the line


def test_the_rule_states_each_colour():
    for word in ("Green", "amber", "red", "no data", "straight line", "baseline"):
        assert word in RULE


@pytest.mark.parametrize("changes, field, words", [
    ({"direction": "up"}, "direction", "increase or to decrease"),
    ({"target_value": 5.0}, "target_value", "higher than the baseline"),
    ({"target_value": 10.0}, "target_value", "higher than the baseline"),
    ({"direction": "decrease"}, "target_value", "lower than the baseline"),
    ({"target_period": "2020"}, "target_period", r"after the baseline period \(2020\)"),
    ({"target_period": "2019/20"}, "target_period", "after the baseline period"),
    ({"target_period": "next year"}, "target_period", "four-digit year"),
    ({"baseline_period": ""}, "baseline_period", "four-digit year"),
    ({"baseline_value": math.nan}, "baseline_value", "Give a number"),
    ({"target_value": "20"}, "target_value", "Give a number"),
    ({"target_value": math.inf}, "target_value", "Give a number"),
])
def test_bad_targets_are_refused_with_the_field_at_fault(changes, field, words):
    args = {"baseline_period": "2020", "baseline_value": 10.0, "target_period": "2030", "target_value": 20.0,
            "direction": "increase"} | changes
    with pytest.raises(TargetError, match=words) as caught:
        check(**args)
    assert caught.value.field == field and isinstance(caught.value, ValueError)
    with pytest.raises(TargetError):
        progress(**args, points=[("2025", 15.0, None, None)])
