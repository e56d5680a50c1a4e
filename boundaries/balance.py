"""How evenly can a group of blocks (the wards of one APB) be split into a number of forums in one piece each?

A forum count and a population tolerance may be impossible to meet with whole wards: two wards of 9,000
people and one of 2,000 cannot make two forums within 5% of each other. :func:`best_split` finds the split
of the blocks into ``parts`` connected groups whose largest deviation from the ideal (the total over the
number of parts) is smallest, so that an editor can say "the best possible is 9.7% off".

The search is exact for small groups: every connected split is considered, with branch and bound (a part
is only grown while it can still beat the best split found, and the blocks left over must still divide
into the parts left within that bound). APBs have about 5 to 15 wards, which this settles in milliseconds.
Past a budget of steps it stops and returns the best found, marked not exact; larger groups are split by a
heuristic (grown from seeds, then improved by moving blocks along the borders between parts), likewise
marked not exact: a better split may exist.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Blocks above which the exact search is not tried.
EXACT_BLOCKS = 40
#: Connected sets the exact search may look at before it gives up and reports the best found.
EXACT_BUDGET = 300_000


@dataclass(frozen=True)
class Split:
    """The best split found: ``deviation`` is the largest |population / ideal - 1| of its parts (inf when no
    split into connected parts exists), ``parts`` the block positions of each part (largest first), and
    ``exact`` whether every split was considered (so none is better)."""

    deviation: float
    parts: tuple[tuple[int, ...], ...]
    exact: bool
    ideal: float

    @property
    def possible(self) -> bool:
        return self.deviation != float("inf")


def best_split(population: Sequence[float], edges: Iterable[tuple[int, int]], parts: int, *,
               budget: int = EXACT_BUDGET, seed: int = 0) -> Split:
    """Split blocks into ``parts`` connected groups as evenly by population as whole blocks allow.

    Parameters
    ----------
    population : sequence of float
        People in each block (positions 0 to n-1).
    edges : iterable of (int, int)
        Pairs of neighbouring blocks (positions).
    parts : int
        How many groups (forums) to make.
    budget : int
        Connected sets the exact search may consider before falling back to the best found.
    seed : int
        Seed of the heuristic's random restarts (the same seed gives the same answer).

    Returns
    -------
    Split

    Examples
    --------
    Four blocks in a row of 10, 10, 12 and 8 people, in two parts: 10+10 against 12+8 is exact.

    >>> found = best_split([10, 10, 12, 8], [(0, 1), (1, 2), (2, 3)], 2)
    >>> found.deviation, found.parts, found.exact
    (0.0, ((0, 1), (2, 3)), True)

    Two big blocks and a small one cannot make two even parts: the best is 10% off.

    >>> round(best_split([9, 2, 9], [(0, 1), (1, 2)], 2).deviation, 3)
    0.1

    Blocks that are not neighbours cannot make one part.

    >>> best_split([5, 5], [], 1).possible
    False
    """
    n = len(population)
    pop = [float(p) for p in population]
    neighbours = [0] * n
    for a, b in edges:
        if a != b:
            neighbours[a] |= 1 << b
            neighbours[b] |= 1 << a
    total = sum(pop)
    ideal = total / parts if parts > 0 else float("nan")
    if parts < 1 or parts > n or total <= 0:
        return Split(float("inf"), (), True, ideal)
    search = _Search(pop, neighbours, parts, ideal, budget)
    if n > EXACT_BLOCKS:
        return _result(_heuristic(pop, neighbours, parts, ideal, seed), pop, ideal, exact=False)
    start = _heuristic(pop, neighbours, parts, ideal, seed) if n > 12 else None
    if start is not None:
        search.best, search.best_parts = _score(start, pop, ideal), start
    search.run()
    return _result(search.best_parts, pop, ideal, exact=not search.exhausted)


def _result(found, pop, ideal, *, exact) -> Split:
    if found is None:
        return Split(float("inf"), (), exact, ideal)
    parts = tuple(sorted((tuple(_bits(mask)) for mask in found), key=lambda p: (-len(p), p)))
    return Split(_score(found, pop, ideal), parts, exact, ideal)


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class _Search:
    """Branch and bound over connected splits (bitmasks of block positions)."""

    def __init__(self, pop, neighbours, parts, ideal, budget):
        self.pop, self.neighbours, self.parts, self.ideal = pop, neighbours, parts, ideal
        self.best, self.best_parts = float("inf"), None
        self.steps, self.budget, self.exhausted = 0, budget, False

    def weight(self, mask: int) -> float:
        return sum(self.pop[i] for i in _bits(mask))

    def components(self, mask: int) -> list[int]:
        found = []
        while mask:
            seen = frontier = mask & -mask
            while frontier:
                grown = 0
                for i in _bits(frontier):
                    grown |= self.neighbours[i]
                frontier = grown & mask & ~seen
                seen |= frontier
            found.append(seen)
            mask &= ~seen
        return found

    def run(self) -> None:
        everything = (1 << len(self.pop)) - 1
        self.split(everything, self.parts, [])

    def fits(self, mask: int, parts: int, bound: float) -> bool:
        """Whether the blocks of ``mask`` might make ``parts`` parts each within ``bound`` of the ideal."""
        comps = self.components(mask)
        if len(comps) > parts:
            return False
        low = high = 0
        for comp in comps:
            weight = self.weight(comp)
            if bound == float("inf"):  # no split found yet: any number of parts from 1 to its blocks
                fewest, most = 1, comp.bit_count()
            else:
                fewest = max(1, math.ceil(weight / (self.ideal * (1 + bound)) - 1e-9))
                most = math.floor(weight / (self.ideal * (1 - bound)) + 1e-9) if bound < 1 else parts
                most = min(most, comp.bit_count())
            if fewest > most:
                return False
            low, high = low + fewest, high + most
        return low <= parts <= high

    def split(self, remaining: int, parts: int, chosen: list[int]) -> None:
        if self.exhausted:
            return
        if parts == 1:
            if len(self.components(remaining)) == 1:
                score = max([abs(self.weight(m) / self.ideal - 1.0) for m in chosen + [remaining]])
                if score < self.best:
                    self.best, self.best_parts = score, chosen + [remaining]
            return
        root = remaining & -remaining
        limit, floor = self.limits()
        forbidden = ~remaining
        for part, weight in self.connected(root, remaining, forbidden, limit):
            if self.exhausted:
                return
            if weight <= floor or weight >= limit:
                continue  # (the limits tighten as better splits are found)
            score = abs(weight / self.ideal - 1.0)
            if score >= self.best:
                continue
            rest = remaining & ~part
            if not self.fits(rest, parts - 1, self.best):
                continue
            self.split(rest, parts - 1, chosen + [part])
            limit, floor = self.limits()  # a better split found below tightens them

    def limits(self) -> tuple[float, float]:
        """Weights a part must lie strictly between to beat the best split found so far."""
        if self.best == float("inf"):
            return float("inf"), float("-inf")
        return self.ideal * (1 + self.best), self.ideal * (1 - self.best)

    def connected(self, root: int, allowed: int, forbidden: int, limit: float):
        """Every connected set of allowed blocks holding ``root`` lighter than ``limit``, with its weight."""
        root_index = root.bit_length() - 1
        start = self.pop[root_index]
        if start >= limit:
            return
        stack = [(root, self.neighbours[root_index] & allowed & ~root, forbidden | root, start)]
        # each entry: the set, its candidate extensions, blocks it may no longer take, its weight
        while stack:
            members, extensions, banned, weight = stack.pop()
            self.steps += 1
            if self.steps > self.budget:
                self.exhausted = True
                return
            yield members, weight
            banned_here = banned
            children = []
            for i in _bits(extensions):
                bit = 1 << i
                heavier = weight + self.pop[i]
                banned_here |= bit
                if heavier >= limit:
                    continue
                grown = (extensions | self.neighbours[i]) & allowed & ~members & ~bit & ~banned_here
                # candidates passed over before this one stay out of the child's reach: each set comes once
                children.append((members | bit, grown, banned_here, heavier))
            stack.extend(reversed(children))


def _score(masks, pop, ideal) -> float:
    return max(abs(sum(pop[i] for i in _bits(m)) / ideal - 1.0) for m in masks)


def _heuristic(pop, neighbours, parts, ideal, seed, restarts: int = 24):
    """Grow ``parts`` regions from spread seeds, then move border blocks while the worst part improves."""
    n = len(pop)
    rng = random.Random(seed)
    best, best_score = None, float("inf")
    for _ in range(restarts):
        owner = _grow(pop, neighbours, parts, rng)
        if owner is None:
            continue
        owner = _improve(pop, neighbours, parts, ideal, owner)
        masks = [0] * parts
        for i in range(n):
            masks[owner[i]] |= 1 << i
        score = _score(masks, pop, ideal)
        if score < best_score:
            best, best_score = masks, score
    return best


def _grow(pop, neighbours, parts, rng):
    n = len(pop)
    owner = [-1] * n
    seeds = rng.sample(range(n), parts)
    weight = [0.0] * parts
    for part, i in enumerate(seeds):
        owner[i], weight[part] = part, pop[i]
    left = n - parts
    while left:
        # the lightest part that can still grow takes a neighbouring free block
        for part in sorted(range(parts), key=lambda p: weight[p]):
            free = [j for i in range(n) if owner[i] == part for j in _bits(neighbours[i]) if owner[j] < 0]
            if free:
                j = rng.choice(free)
                owner[j], weight[part] = part, weight[part] + pop[j]
                left -= 1
                break
        else:
            return None  # free blocks no part can reach: the blocks are not in one piece
    return owner


def _improve(pop, neighbours, parts, ideal, owner):
    n = len(owner)
    weight = [0.0] * parts
    for i in range(n):
        weight[owner[i]] += pop[i]

    def cost(w):
        return (max(abs(x / ideal - 1.0) for x in w), sum((x / ideal - 1.0) ** 2 for x in w))

    current = cost(weight)
    improved = True
    while improved:
        improved = False
        for i in range(n):
            source = owner[i]
            for target in {owner[j] for j in _bits(neighbours[i])} - {source}:
                if not _stays_connected(owner, neighbours, i, source):
                    break
                trial = list(weight)
                trial[source] -= pop[i]
                trial[target] += pop[i]
                found = cost(trial)
                if found < current:
                    owner[i], weight, current, improved = target, trial, found, True
                    break
    return owner


def _stays_connected(owner, neighbours, i, part) -> bool:
    """Whether ``part`` stays in one piece (and not empty) without block ``i``."""
    members = 0
    for j, o in enumerate(owner):
        if o == part and j != i:
            members |= 1 << j
    if not members:
        return False
    seen = frontier = members & -members
    while frontier:
        grown = 0
        for j in _bits(frontier):
            grown |= neighbours[j]
        frontier = grown & members & ~seen
        seen |= frontier
    return seen == members
