"""Tell demo data from real data: the shipped checksum list and the folder markers."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from airq.demo.layout import MANIFEST_NAME, MARKER_NAME, _data_files
from airq.read.grids import sha256_file

if TYPE_CHECKING:  # geopandas and shapely load lazily so that importing airq.demo is cheap
    pass

logger = logging.getLogger(__name__)


_MAX_PARENTS = 6  # grids sit four folders below grids/demo/; leave some slack


#: The shipped list of SHA-256 checksums of every file :func:`write_demo` generates.
CHECKSUMS_FILE = "demo_checksums.json"


@functools.cache
def _shipped_checksums() -> frozenset[str]:
    from importlib import resources

    ref = resources.files("airq") / "data" / CHECKSUMS_FILE
    data = json.loads(ref.read_text(encoding="utf-8"))
    return frozenset(data["files"].values())


def is_demo_checksum(sha256: str | None) -> bool:
    """Whether a SHA-256 is that of a file :func:`write_demo` generates (shipped list).

    The demo is deterministic, so its files are recognised by content wherever they
    are copied, renamed or catalogued.
    """
    return bool(sha256) and sha256 in _shipped_checksums()


def demo_checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every data file of a demo written under ``root``, by relative path.

    Zip archives also list each member (``archive.zip!member``).
    """
    out = {}
    for rel, _ in _data_files():
        path = Path(root) / rel
        out[rel.as_posix()] = sha256_file(path)
        if path.suffix == ".zip":  # a member unzipped anywhere is still demo data
            import zipfile

            with zipfile.ZipFile(path) as zf:
                for name in sorted(zf.namelist()):
                    out[f"{rel.as_posix()}!{name}"] = hashlib.sha256(zf.read(name)).hexdigest()
    return out


def write_checksums_file(path: Path | None = None) -> Path:
    """Regenerate the demo in a temporary folder and write its checksum list.

    Run after changing the generator: ``python -c "from airq.demo import
    write_checksums_file; write_checksums_file()"`` (the test suite checks the list
    is current).
    """
    path = Path(path) if path else Path(__file__).resolve().parents[1] / "data" / CHECKSUMS_FILE
    with tempfile.TemporaryDirectory() as tmp:
        from airq.demo.write import write_demo  # write imports this module

        files = demo_checksums(write_demo(Path(tmp)).root)
    doc = {"about": "SHA-256 of every file `airq demo` generates (airq/demo/); a file with "
                    "one of these checksums is SYNTHETIC DEMO DATA wherever it lies",
           "files": files}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path


def is_synthetic(path: Path, sha256: str | None = None) -> bool:
    """Tell whether a file is airq's synthetic demo data.

    A file is synthetic if its SHA-256 is one of the demo's (the list shipped in
    ``airq/data/demo_checksums.json``: a copy anywhere, renamed, is still demo data),
    or if a ``SYNTHETIC-DEMO-DATA.txt`` marker lies in its folder or one of the next
    folders up (six folders in all), or if its SHA-256 is listed in a
    ``manifest.json`` marked ``"synthetic": true`` found in those same folders.

    Parameters
    ----------
    path
        A file (or folder) to check. A missing path is not synthetic.
    sha256
        The file's SHA-256 if already known (saves reading it again).

    Returns
    -------
    bool
        True for demo data.

    Examples
    --------
    >>> is_synthetic(Path("grids/demo/SYNTHETIC-DEMO-DATA.txt"))  # doctest: +SKIP
    True
    """
    path = Path(path).absolute()
    if not path.exists():
        return False
    digest = None
    if path.is_file():
        digest = sha256 or sha256_file(path)
        if is_demo_checksum(digest):
            return True
    start = path if path.is_dir() else path.parent
    folders = [start, *start.parents][:_MAX_PARENTS]
    if any((folder / MARKER_NAME).is_file() for folder in folders):
        return True
    manifests = [f / MANIFEST_NAME for f in folders if (f / MANIFEST_NAME).is_file()]
    if not manifests or digest is None:
        return False
    for manifest in manifests:
        try:
            content = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # someone else's manifest.json, or a damaged one: not ours
        if not isinstance(content, dict) or content.get("synthetic") is not True:
            continue
        entries = content.get("files", [])
        if any(isinstance(e, dict) and e.get("sha256") == digest for e in entries):
            return True
    return False
