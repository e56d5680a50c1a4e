"""The closest split of blocks into connected parts: exact against brute force, honest when it is not."""
from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from boundaries.balance import EXACT_BLOCKS, best_split


def brute_force(population, edges, parts) -> float:
    """The smallest largest deviation over every labelling of the blocks into connected parts."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(population)))
    graph.add_edges_from(edges)
    ideal = sum(population) / parts
    best = float("inf")
    for labels in itertools.product(range(parts), repeat=len(population)):
        if sorted(set(labels)) != list(range(parts)) or labels[0] != 0:
            continue
        groups = [[i for i, label in enumerate(labels) if label == p] for p in range(parts)]
        if all(nx.is_connected(graph.subgraph(g)) for g in groups):
            best = min(best, max(abs(sum(population[i] for i in g) / ideal - 1) for g in groups))
    return best


def grid(width, height, rng, drop=0.2):
    edges = [(r * width + c, r * width + c + 1) for r in range(height) for c in range(width - 1)]
    edges += [(r * width + c, (r + 1) * width + c) for r in range(height - 1) for c in range(width)]
    return [e for e in edges if rng.random() > drop]


def test_exact_search_agrees_with_brute_force_on_small_random_graphs():
    rng = random.Random(2009)
    for _ in range(120):
        width, height = rng.randint(1, 3), rng.randint(2, 3)
        edges = grid(width, height, rng)
        population = [rng.randint(1, 20) for _ in range(width * height)]
        parts = rng.randint(1, min(3, width * height))
        found = best_split(population, edges, parts)
        expected = brute_force(population, edges, parts)
        assert found.exact
        assert found.deviation == pytest.approx(expected) if expected != float("inf") else not found.possible
        if found.possible:
            graph = nx.Graph(edges)
            graph.add_nodes_from(range(len(population)))
            assert sorted(i for part in found.parts for i in part) == list(range(len(population)))
            assert all(nx.is_connected(graph.subgraph(part)) for part in found.parts)


def test_impossible_counts_are_said_so():
    assert not best_split([5, 5, 5], [(0, 1), (1, 2)], 4).possible  # more forums than blocks
    assert not best_split([5, 5, 5], [(0, 1)], 1).possible          # an island cannot join the others
    assert best_split([5, 5, 5], [(0, 1)], 2).parts == ((0, 1), (2,))


def test_a_long_search_stops_at_its_budget_and_says_it_is_not_exact():
    rng = random.Random(1)
    edges = grid(6, 6, rng, drop=0)
    population = [rng.randint(3000, 12000) for _ in range(36)]
    cut = best_split(population, edges, 2, budget=2000)
    assert cut.possible and not cut.exact
    full = best_split(population, edges, 2)
    assert full.deviation <= cut.deviation


def test_large_groups_are_split_by_the_heuristic_and_marked_so():
    rng = random.Random(7)
    side = 7
    assert side * side > EXACT_BLOCKS
    edges = grid(side, side, rng, drop=0)
    population = [rng.randint(3000, 12000) for _ in range(side * side)]
    found = best_split(population, edges, 4)
    assert found.possible and not found.exact and found.deviation < 0.1
    graph = nx.Graph(edges)
    assert all(nx.is_connected(graph.subgraph(part)) for part in found.parts)
    assert best_split(population, edges, 4).parts == found.parts  # the same seed gives the same answer
