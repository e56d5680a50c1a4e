"""Plain helpers for the activity map and timeline: periods, months, count classes, date wording.

Nothing here touches the store or Flask, so each piece is checked with plain values.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

#: Sequential colours (ColorBrewer PuBu, 5 classes), lightest for the fewest activities.
PALETTE = ("#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d")
#: Text colour readable on each palette colour.
INK = ("#0b0c0c", "#0b0c0c", "#0b0c0c", "#ffffff", "#ffffff")
#: Which palette colours n classes use: spread out, and never only the palest (it barely shows).
SHADES = {1: (3,), 2: (1, 3), 3: (1, 2, 4), 4: (1, 2, 3, 4), 5: (0, 1, 2, 3, 4)}
#: The timeline shows at most this many months (the latest ones of a longer period).
MAX_MONTHS = 36
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")


def last_day(month: date) -> date:
    """The last day of ``month``'s month.

    >>> last_day(date(2024, 2, 10))
    datetime.date(2024, 2, 29)
    """
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before, when negative) ``day``'s month.

    >>> add_months(date(2025, 11, 20), 3), add_months(date(2025, 1, 5), -1)
    (datetime.date(2026, 2, 1), datetime.date(2024, 12, 1))
    """
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_period(today: date) -> tuple[date, date]:
    """The period the pages open on: the twelve months to ``today``'s month and the three after it,
    so planned activity shows beside what has happened.

    >>> default_period(date(2025, 6, 15))
    (datetime.date(2024, 7, 1), datetime.date(2025, 9, 30))
    """
    return add_months(today, -11), last_day(add_months(today, 3))


def months(since: date, until: date, limit: int = MAX_MONTHS) -> list[date]:
    """The first day of each month from ``since``'s to ``until``'s, the latest ``limit`` of them.

    >>> [m.isoformat() for m in months(date(2025, 11, 20), date(2026, 1, 2))]
    ['2025-11-01', '2025-12-01', '2026-01-01']
    """
    if until < since:
        return []
    count = (until.year - since.year) * 12 + until.month - since.month + 1
    first = add_months(since, max(0, count - limit))
    return [add_months(first, i) for i in range(min(count, limit))]


def month_label(month: date, *, long: bool = False) -> str:
    """'Mar 2025' (or 'March 2025').

    >>> month_label(date(2025, 3, 1)), month_label(date(2025, 3, 1), long=True)
    ('Mar 2025', 'March 2025')
    """
    return f"{(MONTH_NAMES if long else MONTHS)[month.month - 1]} {month.year}"


def runs_in(starts_on: date, ends_on: date | None, since: date | None, until: date | None) -> bool:
    """True when an activity (one day when ``ends_on`` is None) runs on any day from ``since`` to ``until``
    (either open when None).

    >>> runs_in(date(2025, 1, 30), date(2025, 2, 3), date(2025, 2, 1), date(2025, 2, 28))
    True
    >>> runs_in(date(2025, 1, 30), None, date(2025, 2, 1), None)
    False
    """
    last = ends_on or starts_on
    return (until is None or starts_on <= until) and (since is None or last >= since)


def count_classes(counts, k: int = len(PALETTE)) -> list[tuple[int, int]]:
    """Up to ``k`` classes (lowest, highest) of the counts above nought, for a map legend.

    With ``k`` or fewer different counts each gets its own class; otherwise the breaks fall at
    quantiles of the counts, rounded to whole numbers, so each class holds roughly as many areas.

    >>> count_classes([0, 1, 1, 3])
    [(1, 1), (3, 3)]
    >>> count_classes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]
    >>> count_classes([0, 0])
    []
    """
    values = sorted(c for c in counts if c > 0)
    distinct = sorted(set(values))
    if len(distinct) <= k:
        return [(v, v) for v in distinct]
    highs = []
    for i in range(1, k + 1):
        position = max(0, math.ceil(len(values) * i / k) - 1)
        high = values[position]
        if not highs or high > highs[-1]:
            highs.append(high)
    classes, low = [], values[0]
    for high in highs:
        classes.append((low, high))
        low = high + 1
    return classes


def shades(classes: list) -> tuple[int, ...]:
    """The palette index of each class.

    >>> shades([(1, 1)]), shades([(1, 1), (2, 3)])
    ((3,), (1, 3))
    """
    return SHADES.get(len(classes), ())


def class_of(count: int, classes: list[tuple[int, int]]) -> int | None:
    """The index of the class holding ``count``, None for nought (or a count no class holds).

    >>> class_of(4, [(1, 2), (3, 5)]), class_of(0, [(1, 2)])
    (1, None)
    """
    return next((i for i, (low, high) in enumerate(classes) if low <= count <= high), None)


def class_label(low: int, high: int) -> str:
    """'1 activity', '3 activities', '2 to 4 activities'.

    >>> class_label(1, 1), class_label(2, 4)
    ('1 activity', '2 to 4 activities')
    """
    if low == high:
        return f"{low} {'activity' if low == 1 else 'activities'}"
    return f"{low} to {high} activities"


def day_text(day: date) -> str:
    """'3 March 2025'.

    >>> day_text(date(2025, 3, 3))
    '3 March 2025'
    """
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def date_range_text(starts_on: date, ends_on: date | None) -> str:
    """How an activity's dates read: one day, or from one day to another.

    >>> date_range_text(date(2025, 3, 3), None)
    '3 March 2025'
    >>> date_range_text(date(2025, 3, 3), date(2025, 4, 28))
    '3 March 2025 to 28 April 2025'
    """
    if ends_on is None or ends_on == starts_on:
        return day_text(starts_on)
    return f"{day_text(starts_on)} to {day_text(ends_on)}"
