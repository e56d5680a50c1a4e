"""Copy the front-end files the app serves from node_modules/ into geoapp/static/vendor/.

Run after ``npm ci --no-audit --no-fund`` (package.json and package-lock.json pin the versions):

    .venv/bin/python tools/vendor_assets.py

The app never loads a script, stylesheet or image from another host: folium's CDN links are
pointed at these copies when a map is rendered (see ``layers.maps.LOCAL_ASSETS``).
Exits non-zero, saying what to run, when node_modules is missing or holds other versions.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "geoapp" / "static" / "vendor"

#: package -> (files or folders under the package to copy, relative to the package root)
FILES = {
    "leaflet": ["dist/leaflet.js", "dist/leaflet.js.map", "dist/leaflet.css", "dist/images", "LICENSE"],
    "leaflet.markercluster": ["dist/leaflet.markercluster.js", "dist/leaflet.markercluster.js.map",
                              "dist/MarkerCluster.css", "dist/MarkerCluster.Default.css",
                              "MIT-LICENCE.txt"],
    # vector tiles of large boundary sets (the package ships no licence file: "Beerware", see its package.json)
    "leaflet.vectorgrid": ["dist/Leaflet.VectorGrid.bundled.min.js", "package.json"],
    "@geoman-io/leaflet-geoman-free": ["dist/leaflet-geoman.min.js", "dist/leaflet-geoman.css", "LICENSE"],
    # used by the browser tests only (injected into each page to check accessibility); no page loads it
    "axe-core": ["axe.min.js", "LICENSE"],
}


def locked_versions() -> dict[str, str]:
    """The versions package-lock.json pins for the packages copied."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in FILES}


def copy_assets() -> dict[str, str]:
    """Copy every file in FILES into VENDOR/<package>/ (flattening dist/); return package versions."""
    versions = {}
    for name, wanted in locked_versions().items():
        package = NODE_MODULES / name
        manifest = package / "package.json"
        if not manifest.exists():
            raise SystemExit(f"{package} is missing: run `npm ci --no-audit --no-fund` at the repository root first.")
        found = json.loads(manifest.read_text(encoding="utf-8"))["version"]
        if found != wanted:
            raise SystemExit(f"node_modules holds {name} {found} but package-lock.json pins {wanted}: "
                             "run `npm ci --no-audit --no-fund` again.")
        target = VENDOR / name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for relative in FILES[name]:
            source = package / relative
            destination = target / Path(relative).name
            if source.is_dir():
                shutil.copytree(source, destination)
            else:
                shutil.copy2(source, destination)
        versions[name] = found
    (VENDOR / "VERSIONS.json").write_text(json.dumps(versions, indent=2) + "\n", encoding="utf-8")
    return versions


def main() -> int:
    versions = copy_assets()
    for name, version in versions.items():
        print(f"vendored {name} {version} into {(VENDOR / name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
