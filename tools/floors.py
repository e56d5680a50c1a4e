"""The floors of the code and its imports, read with ``ast``: what tests/test_floors.py holds the code to and
bench/structure.py counts.

Floors, lowest first; a module may import its own floor and those below, never one above:

0. ``boundaries`` (geography) and the ``geoapp`` package's own docstring-only ``__init__``;
1. ``layers`` (pure computation);
2. the ground: ``geoapp.storage`` (models, queries, migrations), ``geoapp.errors`` (domain errors),
   ``geoapp.caches``, ``geoapp.settings``, ``geoapp.csv_safe``;
3. services: every other module of ``geoapp`` that is not web;
4. web glue: ``geoapp.web``, ``geoapp.api``;
5. blueprints and commands: modules named ``views`` and ``commands``;
6. the app factory ``geoapp.app`` and the command gatherer ``geoapp.cli``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("boundaries", "layers", "geoapp")
GROUND = ("geoapp.storage", "geoapp.errors", "geoapp.caches", "geoapp.settings", "geoapp.csv_safe")
NAMES = {0: "geography", 1: "pure computation", 2: "ground (storage)", 3: "services", 4: "web glue",
         5: "blueprints and commands", 6: "app factory and CLI"}
#: Libraries of the web: imported on floors 4 to 6 only (Werkzeug's string helpers, ``werkzeug.utils``, apart).
WEB_LIBRARIES = ("flask", "flask_wtf", "flask_limiter", "werkzeug", "jinja2")
WEB_FREE = ("werkzeug.utils",)


def floor(module: str) -> int:
    """The floor a module sits on."""
    last = module.rsplit(".", 1)[-1]
    if module.startswith("boundaries") or module == "geoapp":
        return 0
    if module.startswith("layers"):
        return 1
    if module.startswith(GROUND):
        return 2
    if module in ("geoapp.app", "geoapp.cli"):
        return 6
    if last in ("views", "commands"):
        return 5
    if module.startswith(("geoapp.web", "geoapp.api")):
        return 4
    return 3


@dataclass(frozen=True)
class Import:
    """One import statement's target: a project module or an outside library."""

    module: str
    target: str  #: a project module, or an outside library's top-level name
    line: int
    local: bool  #: inside a function or class body rather than at the module's top
    project: bool
    names: tuple[str, ...] = ()  #: the names a ``from ... import`` takes
    whole: str = ""  #: the dotted module named, for an outside library

    def is_web(self) -> bool:
        """Whether this imports a web library (see :data:`WEB_LIBRARIES`)."""
        return not self.project and self.target in WEB_LIBRARIES and not self.whole.startswith(WEB_FREE)


def modules(root: Path) -> dict[str, Path]:
    """Every project module under ``root`` (Alembic's migrations left out), by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(root: Path) -> list[Import]:
    """Every import of every project module: project targets resolved to modules, libraries by top name."""
    known = modules(root)
    out = []
    for module, path in known.items():
        tree = ast.parse(path.read_text())
        top = {id(node) for node in tree.body}
        top |= {id(n) for node in tree.body if isinstance(node, (ast.If, ast.Try)) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                local = id(node) not in top
                names = tuple(alias.name for alias in node.names) if isinstance(node, ast.ImportFrom) else ()
                whole = (node.module or "") if isinstance(node, ast.ImportFrom) else node.names[0].name
                for target, project in _targets(module, path.name == "__init__.py", node, known):
                    if target != module:
                        out.append(Import(module, target, node.lineno, local, project, names, whole))
    return out


def _targets(module: str, is_package: bool, node, known) -> list[tuple[str, bool]]:
    if isinstance(node, ast.Import):
        return [_named(alias.name, known) for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        name = ".".join(base + ([node.module] if node.module else []))
    else:
        name = node.module or ""
    if name.split(".")[0] not in PACKAGES:
        return [(name.split(".")[0], False)]
    return [(f"{name}.{alias.name}", True) if f"{name}.{alias.name}" in known else _named(name, known)
            for alias in node.names]


def _named(name: str, known) -> tuple[str, bool]:
    if name.split(".")[0] not in PACKAGES:
        return name.split(".")[0], False
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name, True
