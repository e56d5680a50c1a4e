"""The code's structure in numbers: import cycles, function-local imports, floors, and one profile request's path.

    python bench/structure.py [--root PATH]

Reads every module of boundaries/, layers/ and geoapp/ under ROOT (default: this checkout) with
tools/floors.py: module-level imports give the import graph (its cycles are strongly connected components of
two or more modules), imports inside functions are counted apart (and those of project modules listed). Each
module has a floor (see tools/floors.py); an import from a lower floor to a higher one "points up".

It then builds the demo store in a temporary directory and follows GET /profiles/<set>/<code>.json for the
first APB and the first ward, cold and warm, counting the project files and function calls the request passes
through and the calls that climb from a lower floor to a higher one.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.floors import PACKAGES, floor, imports, modules


def graphs(root: Path):
    """The import graph of module-level project imports, and the local imports (all, and of project modules)."""
    found = imports(root)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules(root))
    graph.add_edges_from((i.module, i.target) for i in found if i.project and not i.local)
    local = [i for i in found if i.local]
    return graph, [(i.module, i.target, i.line) for i in local if i.project], len(local)


def trace_profile(root: Path) -> list[dict]:
    """Follow one profile twin request, cold and warm, for an APB and a ward of the demo store."""
    sys.path.insert(0, str(root))
    os.environ.setdefault("ATLAS_ENV", "development")
    from geoapp import caches  # noqa: PLC0415 - imported from ROOT after sys.path is set
    from geoapp.app import create_app  # noqa: PLC0415

    tmp = tempfile.mkdtemp()
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp}/atlas.sqlite",
                      "ATLAS_INSTANCE_PATH": tmp, "RATELIMIT_ENABLED": False})
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["demo", "--replace"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    client = app.test_client()
    index = client.get("/profiles/index.json").get_json()
    sets = {s["id"]: s for s in index["boundary_sets"]}
    roots = tuple(str(root / p) for p in PACKAGES)
    rows = []
    for kind in ("apb", "ward"):
        slug = next(s for s, found in sets.items() if found["kind"] == kind)
        code = sets[slug]["areas"][0]["code"]
        for warmth in ("cold", "warm"):
            if warmth == "cold":
                caches.clear_all()
            files, calls, climbs = set(), 0, 0

            def follow(frame, event, _arg, files=files):
                nonlocal calls, climbs
                if event != "call" or not frame.f_code.co_filename.startswith(roots):
                    return
                name = frame.f_globals.get("__name__", "")
                files.add(frame.f_code.co_filename)
                calls += 1
                caller = frame.f_back
                while caller is not None and not caller.f_code.co_filename.startswith(roots):
                    caller = caller.f_back
                if caller is not None and floor(caller.f_globals.get("__name__", "")) < floor(name):
                    climbs += 1

            sys.setprofile(follow)
            response = client.get(f"/profiles/{slug}/{code}.json")
            sys.setprofile(None)
            assert response.status_code == 200, response.status_code
            rows.append({"area": f"{slug}/{code}", "run": warmth, "files": len(files), "calls": calls,
                         "climbs": climbs})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    root = args.root.resolve()
    graph, local, local_all = graphs(root)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    full = graph.copy()
    full.add_edges_from((m, t) for m, t, _ in local)
    dodged = [(m, t, line) for m, t, line in local if nx.has_path(graph, t, m)]
    up = sorted((m, t) for m, t in graph.edges if floor(m) < floor(t))
    print(f"root {root}  load {os.getloadavg()[0]:.2f}")
    print(f"modules {graph.number_of_nodes()}  module-level imports {graph.number_of_edges()}")
    print(f"import cycles {len(cycles)}: " + "; ".join(" <-> ".join(c) for c in cycles))
    print(f"cycles once local imports count {sum(1 for c in nx.strongly_connected_components(full) if len(c) > 1)}")
    print(f"function-local imports {local_all} (of project modules {len(local)}; closing a cycle {len(dodged)})")
    for m, t, line in dodged:
        print(f"  cycle-dodging: {m}:{line} -> {t}")
    print(f"imports pointing up a floor {len(up)}")
    for m, t in up:
        print(f"  {m} (floor {floor(m)}) -> {t} (floor {floor(t)})")
    per = defaultdict(int)
    for m in graph:
        per[floor(m)] += 1
    print("modules per floor " + ", ".join(f"{k}: {per[k]}" for k in sorted(per)))
    for row in trace_profile(root):
        print(f"profile {row['area']:<40} {row['run']}: {row['files']} files, {row['calls']} calls, "
              f"{row['climbs']} climbs up a floor")


if __name__ == "__main__":
    main()
