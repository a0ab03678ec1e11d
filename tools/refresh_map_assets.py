"""Refresh the map assets shipped in airq/static/ from the npm registry's package tarballs.

`airq map --self-contained` inlines Leaflet, jQuery and two Leaflet plugins into the
page. Their files ship inside the airq package (airq/static/<package>/...), each
package's licence beside them, so neither installing airq nor running its tests needs
Node.js. airq/static/assets.json pins each package: version, the tarball's sha512
integrity (as npm's lock files record it), the files taken from it and their SHA-256.

Usage (from the repository root; not run by the tests):

    python tools/refresh_map_assets.py            # download the pinned tarballs, rewrite files
    python tools/refresh_map_assets.py --check    # only check shipped files against the manifest
    python tools/refresh_map_assets.py --tarballs DIR   # use leaflet-1.9.3.tgz ... from DIR

To move to a new version: set "version" and "integrity" of the package in
assets.json (the integrity is `dist.integrity` of
https://registry.npmjs.org/<name>/<version>), check the file list against the new
tarball, run this script, then run the tests (tests/test_assets.py checks the
manifest; tests/test_browser.py renders the map in Chromium).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "airq" / "static"
MANIFEST = STATIC / "assets.json"
REGISTRY = "https://registry.npmjs.org"


def tarball_name(name: str, version: str) -> str:
    """``leaflet-1.9.3.tgz`` (a scoped package drops its scope, as npm does)."""
    return f"{name.rsplit('/', 1)[-1]}-{version}.tgz"


def tarball_url(name: str, version: str) -> str:
    """Return the registry's tarball URL for a package version."""
    return f"{REGISTRY}/{name}/-/{tarball_name(name, version)}"


def check_integrity(data: bytes, integrity: str, what: str) -> None:
    """Raise SystemExit unless ``data`` has the ``sha512-...`` integrity npm records."""
    algo, _, expected = integrity.partition("-")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != expected:
        raise SystemExit(f"{what}: integrity {algo}-{got} is not the pinned {integrity}")


def fetch(pkg: dict, tarballs: Path | None) -> bytes:
    """Return the tarball bytes, from ``tarballs`` or the registry, integrity checked."""
    name, version = pkg["name"], pkg["version"]
    if tarballs is not None:
        data = (tarballs / tarball_name(name, version)).read_bytes()
    else:
        with urllib.request.urlopen(tarball_url(name, version), timeout=60) as resp:  # noqa: S310
            data = resp.read()
    check_integrity(data, pkg["integrity"], f"{name}@{version}")
    return data


def extract(pkg: dict, data: bytes) -> dict[str, str]:
    """Write the listed files (and the licence) under airq/static/<name>/; return SHA-256s."""
    out = STATIC / pkg["name"]
    wanted = [*pkg["files"], pkg["licence_file"]]
    sums = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        for rel in wanted:
            member = members.get(f"package/{rel}")
            if member is None:
                raise SystemExit(f"{pkg['name']}@{pkg['version']}: no {rel} in the tarball")
            body = tar.extractfile(member).read()
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            sums[rel] = hashlib.sha256(body).hexdigest()
    return sums


def check(manifest: dict) -> list[str]:
    """Problems with the shipped files: missing, or not the SHA-256 the manifest records."""
    problems = []
    for pkg in manifest["packages"]:
        for rel, sha in pkg["sha256"].items():
            path = STATIC / pkg["name"] / rel
            if not path.is_file():
                problems.append(f"missing {path}")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                problems.append(f"{path} differs from the manifest")
    return problems


def main(argv=None) -> int:
    """Run the refresh (or the check) and report on stderr."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only check the shipped files")
    ap.add_argument("--tarballs", type=Path, help="folder of downloaded .tgz files")
    args = ap.parse_args(argv)
    manifest = json.loads(MANIFEST.read_text("utf-8"))
    if not args.check:
        for pkg in manifest["packages"]:
            pkg["sha256"] = extract(pkg, fetch(pkg, args.tarballs))
            print(f"{pkg['name']}@{pkg['version']}: {len(pkg['sha256'])} files", file=sys.stderr)
        MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    problems = check(manifest)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
