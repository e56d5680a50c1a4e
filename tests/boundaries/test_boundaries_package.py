"""The package keeps its rules: only geography libraries imported, and every docstring example runs."""

import ast
import doctest
import importlib
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "boundaries"
ALLOWED = {"geopandas", "shapely", "fiona", "pyogrio", "pyproj", "numpy", "pandas", "networkx", "boundaries"}
MODULES = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_imports_only_the_geography_stack(name):
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    outside = {module for module in imported - ALLOWED if module not in sys.stdlib_module_names}
    assert outside == set(), f"boundaries/{name}.py imports {sorted(outside)}"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"boundaries.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_public_functions_have_examples():
    missing = []
    for name in MODULES:
        module = importlib.import_module(f"boundaries.{name}")
        for attribute, value in vars(module).items():
            if (
                callable(value)
                and not attribute.startswith("_")
                and getattr(value, "__module__", "") == module.__name__
            ):
                if isinstance(value, type):
                    continue
                if ">>>" not in (value.__doc__ or ""):
                    missing.append(f"{name}.{attribute}")
    assert missing == []
