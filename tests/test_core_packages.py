"""The two core packages keep their rules: each imports only its own stack (never the app, Flask or SQLAlchemy),
and every public function shows an example (pytest runs the examples: --doctest-modules in pyproject.toml)."""

import ast
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GEOGRAPHY = {"geopandas", "shapely", "fiona", "pyogrio", "pyproj", "numpy", "pandas", "networkx"}
ALLOWED = {
    "boundaries": GEOGRAPHY | {"boundaries"},
    "layers": GEOGRAPHY | {"boundaries", "layers", "scipy", "numba", "mapclassify", "matplotlib", "folium", "branca",
                           "mapbox_vector_tile"},
}
MODULES = [(package, ".".join(path.relative_to(ROOT).with_suffix("").parts))
           for package in ALLOWED for path in sorted((ROOT / package).rglob("*.py")) if path.stem != "__init__"]


@pytest.mark.parametrize(("package", "module"), MODULES)
def test_imports_only_its_own_stack(package, module):
    tree = ast.parse((ROOT / f"{module.replace('.', '/')}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    outside = {name for name in imported - ALLOWED[package] if name not in sys.stdlib_module_names}
    assert outside == set(), f"{module} imports {sorted(outside)}"


@pytest.mark.parametrize("package", ALLOWED)
def test_public_functions_have_examples(package):
    missing = []
    for _, name in (entry for entry in MODULES if entry[0] == package):
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if (callable(value) and not isinstance(value, type) and not attribute.startswith("_")
                    and getattr(value, "__module__", "") == name and ">>>" not in (value.__doc__ or "")):
                missing.append(f"{name}.{attribute}")
    assert not missing, f"public functions without an example: {', '.join(missing)}"
