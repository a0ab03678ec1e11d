"""Find the input files an output names, by path and by SHA-256 (``airq verify --search``).

An input is looked for where the output says it was: the path as given, relative to
the folder the command ran in, to the current folder and to the output's folder.
When it is not there, or holds other bytes, the ``--search`` folders are searched
for a file with the recorded SHA-256 (files of the same name first). Checksums are
computed once per file per run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from airq.read.grids import sha256_file

SAME, CHANGED, MISSING = "same", "changed", "missing"


@dataclass(frozen=True)
class Found:
    """Where an input was found and whether it holds the recorded bytes.

    Attributes
    ----------
    status
        ``same`` (a file with the recorded SHA-256 was found), ``changed`` (the
        file is where the output says but holds other bytes) or ``missing``.
    path
        The file to use: the matching one, else the changed one; None if missing.
    sha256
        The SHA-256 of ``path`` now.
    moved
        True when the matching file was found somewhere other than the recorded place.
    differs
        The file at the recorded place when it differs and a match was found elsewhere.
    looked
        The places looked at, for messages.
    """

    status: str
    path: Path | None = None
    sha256: str | None = None
    moved: bool = False
    differs: Path | None = None
    looked: tuple[str, ...] = ()


class Finder:
    """Finds inputs; see :meth:`find`.

    Parameters
    ----------
    bases
        Folders a relative path may be relative to, in order (the recorded working
        folder, the current folder, the output's folder).
    search
        Folders searched (recursively) for a file with the recorded checksum.
    """

    def __init__(self, bases: Iterable[str | Path | None] = (),
                 search: Sequence[str | Path] = ()):
        seen: dict = {}
        for b in bases:
            if b:
                seen.setdefault(str(Path(b).absolute()), Path(b).absolute())
        self.bases = list(seen.values())
        self.search = [Path(s) for s in search]
        self._sha: dict[str, str | None] = {}
        self._files: list[Path] | None = None

    def sha256(self, path: Path) -> str | None:
        """SHA-256 of a file, computed once; None if it cannot be read."""
        key = str(path.resolve())
        if key not in self._sha:
            try:
                self._sha[key] = sha256_file(path)
            except OSError:
                self._sha[key] = None
        return self._sha[key]

    def _candidates(self, source: str) -> list[Path]:
        p = Path(source).expanduser()
        if p.is_absolute():
            return [p]
        return [b / p for b in self.bases] or [p]

    def _search_files(self) -> list[Path]:
        if self._files is None:
            files = []
            for root in self.search:
                for folder, dirs, names in os.walk(root):
                    dirs.sort()
                    files.extend(Path(folder) / n for n in sorted(names))
            self._files = files
        return self._files

    def find_by_checksum(self, sha256: str, name: str | None = None) -> Path | None:
        """Return a file under the search folders with this SHA-256 (same names first)."""
        files = self._search_files()
        first = [f for f in files if name and f.name == name]
        for f in first + [f for f in files if f not in set(first)]:
            if self.sha256(f) == sha256:
                return f
        return None

    def find(self, source: str | None, sha256: str | None,
             also: Sequence[str | Path] = ()) -> Found:
        """Find an input recorded as ``source`` with checksum ``sha256``.

        Parameters
        ----------
        source
            The path as the output records it.
        sha256
            The recorded SHA-256 (None: any file at the place is taken as it is).
        also
            Further places to look before searching (e.g. the catalogue's copy now).
        """
        recorded = self._candidates(source) if source else []
        places = recorded + [Path(a) for a in also]
        looked = tuple(dict.fromkeys(str(p) for p in places))
        changed = None
        for i, p in enumerate(places):
            if not p.is_file():
                continue
            now = self.sha256(p)
            if sha256 is None or now == sha256:
                return Found(SAME, p, now, moved=i >= len(recorded), looked=looked)
            if changed is None:
                changed = (p, now)
        if sha256 and self.search:
            hit = self.find_by_checksum(sha256, Path(source).name if source else None)
            if hit is not None:
                return Found(SAME, hit, sha256, moved=True,
                             differs=changed[0] if changed else None, looked=looked)
        if changed is not None:
            return Found(CHANGED, changed[0], changed[1], looked=looked)
        return Found(MISSING, looked=looked)
