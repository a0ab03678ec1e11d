"""One catalogue folder's index: locked while changed, validated when read, paths kept inside.

Both catalogues (grids, layers) keep ``index.json`` in their folder under the data
directory (``$AIRQ_HOME/grids``, ``$AIRQ_HOME/layers``): one row per entry, naming its
stored copy (``file``, relative to the folder) and that copy's SHA-256, size and times
when it was written (``stored``). This module holds what the two share:

- every read-modify-write of an index holds a lock (filelock), so processes adding
  and removing entries at once never lose one; readers need no lock, as the index is
  only ever replaced whole (:func:`airq.outputs.write_text`);
- the index is decoded against a typed schema (msgspec), so a damaged or hand-edited
  index is an error naming the file, the row and how to rebuild it;
- a row's ``file`` must name a file of the catalogue's own kind inside its folder
  (no ``..``, no absolute path, no symlink out): no entry can make airq read or
  delete anything else;
- a stored copy is checked against its recorded SHA-256 before use: size and times
  each time, a full re-hash when they differ (:meth:`CatalogueIndex.check`).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

import msgspec

from airq.config import data_home
from airq.errors import CatalogueError

INDEX_NAME = "index.json"
#: Version 2 records the checksum of every stored copy (version 1 did not).
INDEX_VERSION = 2
#: How long an add or remove waits for another process holding the index.
LOCK_TIMEOUT_S = 120.0


def unwritable(folder: Path, noun: str, err: OSError) -> CatalogueError:
    """Return the error for a catalogue folder that cannot be written."""
    return CatalogueError(f"cannot write to the {noun} catalogue {folder} "
                          f"({err.strerror or err}); set AIRQ_HOME to a folder you can write")


@contextlib.contextmanager
def locked(folder: Path, noun: str) -> Iterator[None]:
    """Hold the lock of the catalogue index in ``folder`` (created if need be).

    Every read-modify-write of an index happens inside this, so processes adding and
    removing entries at once never lose one.

    Raises
    ------
    CatalogueError
        If the folder cannot be written, or another process holds the lock for
        longer than :data:`LOCK_TIMEOUT_S`.
    """
    from filelock import FileLock, Timeout

    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(folder / f".{INDEX_NAME}.lock", timeout=LOCK_TIMEOUT_S)
        lock.acquire()
    except Timeout as err:
        raise CatalogueError(
            f"the {noun} catalogue {folder} is being changed by another airq process "
            f"(waited {LOCK_TIMEOUT_S:g} s); try again when it has finished"
        ) from err
    except OSError as err:
        raise unwritable(folder, noun, err) from err
    try:
        yield
    finally:
        lock.release()


class StoredCopy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The SHA-256, size and times of a stored copy, recorded when it was written."""

    sha256: str
    size: int
    mtime_ns: int
    ctime_ns: int

    def same_stat(self, st: os.stat_result) -> bool:
        """Whether ``st`` shows the file untouched since this was recorded (the cheap check)."""
        return (st.st_size, st.st_mtime_ns, st.st_ctime_ns) == (self.size, self.mtime_ns,
                                                                self.ctime_ns)

    def with_stat(self, st: os.stat_result) -> StoredCopy:
        """Return this checksum with the size and times of ``st``."""
        return StoredCopy(self.sha256, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


Status = Literal["ok", "changed", "missing"]


@dataclass(frozen=True)
class CopyCheck:
    """The state of one stored copy against its recorded checksum.

    Attributes
    ----------
    entry
        The entry's id or name.
    path
        The stored copy.
    status
        ``ok``, ``changed`` or ``missing``.
    sha256
        The checksum of the bytes now stored (None when missing).
    recorded
        The checksum recorded when the copy was written.
    readd
        The command that adds the entry again from its source.
    """

    entry: str
    path: Path
    status: Status
    sha256: str | None
    recorded: str
    readd: str

    @property
    def ok(self) -> bool:
        """Whether the copy is the one catalogued."""
        return self.status == "ok"

    def problem(self, what: str) -> str:
        """One sentence for an error: what is wrong with this copy and how to mend it."""
        if self.status == "missing":
            state = "is missing"
        else:
            state = (f"has changed since it was catalogued (SHA-256 now {self.sha256}, "
                     f"recorded {self.recorded}): it was edited or replaced")
        return f"the stored copy of {what} {self.entry!r} ({self.path}) {state}; re-add it: " \
               f"{self.readd}"


def readd_command(command: str, source: str, *options: str) -> str:
    """Return ``airq <command> SOURCE --overwrite ...`` with the source quoted for a shell."""
    return " ".join(["airq", command, shlex.quote(source), *options, "--overwrite"])


class CatalogueIndex:
    """The index of one catalogue folder.

    Parameters
    ----------
    folder
        The folder's name under the data directory (``grids``, ``layers``).
    noun
        What an entry is (``grid``, ``layer``), for messages.
    rows_key
        The key of the list of rows in the index file.
    row_type
        The msgspec type of one row; it has ``file`` (the stored copy, relative to the
        folder) and ``stored`` (:class:`StoredCopy`) fields.
    suffix
        The suffix every stored copy has (``.tif``, ``.gpkg``).
    rebuild
        How to add the entries again, for messages about a damaged index.
    home
        The data directory (default :func:`airq.config.data_home`).
    """

    def __init__(self, folder: str, *, noun: str, rows_key: str, row_type: type,
                 suffix: str, rebuild: str, home: Path | None = None):
        self.folder_name = folder
        self.noun = noun
        self.rows_key = rows_key
        self.row_type = row_type
        self.suffix = suffix
        self.rebuild = rebuild
        self.home = home
        self._schema = msgspec.defstruct(f"{noun.title()}Index",
                                         [("version", int), (rows_key, list[row_type])],
                                         forbid_unknown_fields=True)

    # ------------------------------------------------------------------ places

    @property
    def folder(self) -> Path:
        """The catalogue folder (not created)."""
        return (self.home or data_home(create=False)) / self.folder_name

    @property
    def path(self) -> Path:
        """The index file."""
        return self.folder / INDEX_NAME

    def stored_path(self, row) -> Path:
        """Return the stored copy a row names, refusing any path outside the folder.

        Raises
        ------
        CatalogueError
            If ``file`` is absolute, climbs out with ``..``, is not a file of this
            catalogue's kind, or resolves (through a symlink) outside the folder.
        """
        rel = row.file
        p = PurePosixPath(rel)
        bad = (not rel or "\\" in rel or p.is_absolute() or ".." in p.parts
               or p.suffix.lower() != self.suffix or p.name == INDEX_NAME)
        full = self.folder / p
        if not bad:
            with contextlib.suppress(OSError):
                bad = not full.resolve().is_relative_to(self.folder.resolve())
        if bad:
            raise self.damaged(f"entry {self._label(row)!r} names the stored file {rel!r}, "
                               f"which is not a {self.suffix} file inside {self.folder}")
        return full

    def _label(self, row) -> str:
        return getattr(row, "id", None) or getattr(row, "name", "?")

    def damaged(self, problem: str) -> CatalogueError:
        """Return the error for a damaged index: the file, the problem, how to rebuild it."""
        return CatalogueError(
            f"the {self.noun} catalogue index {self.path} is damaged: {problem}. Rebuild it: "
            f"move it aside (e.g. to {INDEX_NAME}.bad) and {self.rebuild}"
        )

    # ------------------------------------------------------------------ reading

    def read(self) -> list:
        """Return the rows, validated (no lock needed: the file is replaced whole).

        Raises
        ------
        CatalogueError
            If the index is unreadable, not JSON, of another version, or any row has
            a missing key, a value of the wrong type or a file outside the folder.
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except NotADirectoryError as err:  # a file stands where the data folder should be
            raise CatalogueError(
                f"the airq data folder {self.folder.parent} cannot be used (a file stands in "
                "its path); set AIRQ_HOME to a folder you can write") from err
        except OSError as err:
            raise CatalogueError(f"the {self.noun} catalogue index {self.path} cannot be read "
                                 f"({err.strerror or err})") from err
        try:
            raw = msgspec.json.decode(data)
        except msgspec.DecodeError as err:
            raise self.damaged(f"it is not JSON ({err})") from err
        if not isinstance(raw, dict):
            kind = {list: "an array", str: "a string", bool: "true or false", int: "a number",
                    float: "a number"}.get(type(raw), "null")
            raise self.damaged(f"it holds {kind}, not an object with 'version' and "
                               f"'{self.rows_key}'")
        version = raw.get("version")
        if version != INDEX_VERSION and isinstance(version, int) and version < INDEX_VERSION:
            raise self.damaged(f"it was written by an older airq (index version {version}) "
                               "that did not record checksums of the stored copies")
        try:
            index = msgspec.convert(raw, self._schema, strict=True)
        except msgspec.ValidationError as err:
            raise self.damaged(str(err).replace("`$.", "`")) from err
        if index.version != INDEX_VERSION:
            raise self.damaged(f"index version {index.version} is not one this airq reads "
                               f"({INDEX_VERSION})")
        rows = getattr(index, self.rows_key)
        seen: set[str] = set()
        for row in rows:
            label = self._label(row)
            if label in seen:
                raise self.damaged(f"entry {label!r} appears twice")
            seen.add(label)
            self.stored_path(row)
        return rows

    # ------------------------------------------------------------------ writing

    def _writable(self, err: OSError) -> CatalogueError:
        return unwritable(self.folder, self.noun, err)

    @contextlib.contextmanager
    def update(self) -> Iterator[list]:
        """Hold the index's lock; yield its rows as a list to change; write it back.

        The list is written (atomically) only if the block finishes without error.

        Raises
        ------
        CatalogueError
            If the folder cannot be written, or another process holds the lock for
            longer than :data:`LOCK_TIMEOUT_S`.
        """
        from airq.outputs import write_text

        with locked((self.home or data_home()) / self.folder_name, self.noun):
            rows = list(self.read())
            yield rows
            text = msgspec.json.format(
                msgspec.json.encode({"version": INDEX_VERSION, self.rows_key: rows}), indent=2)
            try:
                write_text(self.path, text.decode("utf-8") + "\n", overwrite=True)
            except OSError as err:
                raise self._writable(err) from err

    @contextlib.contextmanager
    def staging(self, name: str) -> Iterator[Path]:
        """Yield a temporary path in the folder to write a new copy to; removed after.

        Writing happens outside the lock; :meth:`store` then moves the copy into
        place while the lock is held. An ``OSError`` in the block (a full disk)
        becomes a :class:`CatalogueError`.
        """
        home = self.home or data_home()
        folder = home / self.folder_name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{Path(name).name}.",
                                       suffix=f".part{self.suffix}")
        except OSError as err:
            raise self._writable(err) from err
        os.close(fd)
        staged = Path(tmp)
        staged.unlink()  # writers such as GDAL refuse to overwrite; let them create it
        try:
            yield staged
        except OSError as err:  # a full disk, a folder made read-only meanwhile
            raise self._writable(err) from err
        finally:
            staged.unlink(missing_ok=True)

    def store(self, staged: Path, rel: str, sha256: str) -> StoredCopy:
        """Move a staged copy to ``rel`` (call while holding :meth:`update`); record it."""
        target = self.folder / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            return StoredCopy(sha256, 0, 0, 0).with_stat(target.stat())
        except OSError as err:
            raise self._writable(err) from err

    def remove_file(self, row) -> None:
        """Delete the stored copy a row names (call while holding :meth:`update`)."""
        self.stored_path(row).unlink(missing_ok=True)

    # ------------------------------------------------------------------ integrity

    def check(self, label: str, path: Path, recorded: StoredCopy, readd: str, *,
              full: bool = False) -> CopyCheck:
        """Compare a stored copy (a path from :meth:`stored_path`) with its recorded SHA-256.

        Size and times are compared first; the file is hashed when they differ (or
        ``full``). A copy found unchanged by hashing gets its new size and times
        recorded, where the index can be written, so the next check is cheap again.
        """
        from airq.read.grids import sha256_file

        try:
            st = path.stat()
        except FileNotFoundError:
            return CopyCheck(label, path, "missing", None, recorded.sha256, readd)
        except OSError as err:
            raise CatalogueError(f"the stored copy of {self.noun} {label!r} ({path}) cannot be "
                                 f"read ({err.strerror or err})") from err
        if not full and recorded.same_stat(st):
            return CopyCheck(label, path, "ok", recorded.sha256, recorded.sha256, readd)
        now = sha256_file(path)
        if now != recorded.sha256:
            return CopyCheck(label, path, "changed", now, recorded.sha256, readd)
        if not recorded.same_stat(st):
            self._refresh(label, recorded, st)
        return CopyCheck(label, path, "ok", now, recorded.sha256, readd)

    def _refresh(self, label: str, recorded: StoredCopy, st: os.stat_result) -> None:
        """Record new size and times of a copy whose checksum was just confirmed."""
        with contextlib.suppress(CatalogueError):  # a read-only catalogue stays usable
            with self.update() as rows:
                for i, row in enumerate(rows):
                    if self._label(row) == label and row.stored == recorded:
                        rows[i] = msgspec.structs.replace(row, stored=recorded.with_stat(st))

    def require(self, label: str, path: Path, recorded: StoredCopy, readd: str) -> str:
        """Return the checksum of a stored copy, or raise if it is missing or changed.

        Raises
        ------
        CatalogueError
            Naming the entry, its stored copy and the command that re-adds it.
        """
        result = self.check(label, path, recorded, readd)
        if not result.ok:
            raise CatalogueError(result.problem(self.noun))
        return result.recorded
