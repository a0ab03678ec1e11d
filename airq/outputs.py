"""Write output files safely: checked before any work, written atomically, never over inputs.

Every output of a command is checked together before the run (:func:`check_outputs`):
it must not be one of the command's inputs (same resolved path or same inode, sidecar
files included), nor another output of the same command, nor anything but a regular
file (a device, FIFO or folder is refused even with ``--overwrite``), and its folder
must exist and take a new file. ``-`` means standard output. Files are then written to a
hidden temporary file beside the target and renamed into place (:func:`atomic_path`), so
a failed, full-disk or interrupted write never leaves a half-written output under the
final name; its temporary file (and any GeoPackage journal) is removed.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from airq.errors import OutputError

log = logging.getLogger(__name__)

#: The path that means standard output (``-o -``).
STDOUT = "-"

#: errno values that come from the environment (permissions, space, names), not from a bug.
ENVIRONMENT_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC,
                                errno.EDQUOT, errno.EFBIG, errno.ENAMETOOLONG, errno.ENOTDIR,
                                errno.EISDIR})
_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_SPACE_TEXT = ("no space left on device", "disk quota exceeded", "file too large",
               "database or disk is full")
#: Below this many free bytes, a library's vague write error (GDAL's "Failed to commit
#: transaction") is reported as a full disk, with the library's own words.
_NEARLY_FULL = 1 << 20

#: Files that belong to an input beside it (same stem): a shapefile's parts, a raster's
#: georeferencing, a GeoPackage's journals. Outputs may not replace them either.
_SIDECARS = {
    ".shp": (".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".qmd", ".shp.xml"),
    ".asc": (".prj", ".asc.aux.xml"),
    ".tif": (".prj", ".tfw", ".tif.aux.xml", ".tif.ovr"),
    ".tiff": (".prj", ".tfw", ".tiff.aux.xml", ".tiff.ovr"),
    ".csv": (".prj", ".csvt"),
    ".jpg": (".jgw", ".prj", ".jpg.aux.xml"),
    ".png": (".pgw", ".prj", ".png.aux.xml"),
}
_JOURNALS = ("-journal", "-wal", "-shm")


class OutputUsageError(OutputError):
    """An output option names a path it may not (an input, another output, a device).

    The CLI shows it as a usage error (exit 2) naming ``option``.
    """

    def __init__(self, message: str, option: str | None = None):
        super().__init__(message)
        self.option = option


def is_stdout(path) -> bool:
    """Whether an output path means standard output (``-``)."""
    return path is not None and str(path) == STDOUT


def _kind(mode: int) -> str | None:
    """Name what a non-regular file is (None for a regular file)."""
    for test, name in ((stat.S_ISDIR, "folder"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISFIFO, "named pipe (FIFO)"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "special file"


def disk_full_message(err: BaseException, folder: Path | None = None) -> str | None:
    """Return a one-line reason if ``err`` means the disk (or quota) is full, else None.

    Looks at the error's errno and text (and those of its causes); with ``folder``, a
    disk nearly full (under 1 MiB free) also counts, since GDAL reports a full disk
    as a failed transaction.
    """
    e: BaseException | None = err
    while e is not None:
        if isinstance(e, OSError) and e.errno in _SPACE_ERRNOS:
            return e.strerror or os.strerror(e.errno)
        if any(t in str(e).lower() for t in _SPACE_TEXT):
            return "No space left on device"
        e = e.__cause__ or e.__context__
    if folder is not None:
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            return None
        if free < _NEARLY_FULL:
            return f"the disk is full ({free} bytes free; the writer said: {err})"
    return None


def _probe(folder: Path, target: Path, option: str | None) -> None:
    """Create and remove a file in ``folder``: a read-only or full folder fails here, early."""
    name = f" ({option})" if option else ""
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".probe",
                                     dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise OutputError(f"cannot write {target}{name}: folder {folder} does not take new "
                          f"files ({err.strerror or err}); choose another folder or make it "
                          "writable") from err
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free == 0:
        raise OutputError(f"cannot write {target}{name}: no space left on the disk of "
                          f"{folder}; free some space or choose another folder")


def check_writable(path: str | os.PathLike, overwrite: bool = False,
                   option: str | None = None) -> Path:
    """Check that ``path`` may be written, before any work is done.

    Parameters
    ----------
    path
        The output file.
    overwrite
        Whether an existing regular file may be replaced.
    option
        The option that named it (for messages), e.g. ``--map``.

    Returns
    -------
    Path
        The output path.

    Raises
    ------
    OutputUsageError
        If it is a folder, device, FIFO or other non-regular file (even with
        ``overwrite``).
    OutputError
        If the file exists and ``overwrite`` is false, its folder is missing, or the
        folder does not take new files (read-only, no permission, disk full).
    """
    p = Path(path)
    name = f" ({option})" if option else ""
    try:
        st = p.stat()  # follows symbolic links: a link to a device is a device
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise OutputError(f"cannot write {p}{name}: {err.strerror or err}") from err
    if st is not None:
        kind = _kind(st.st_mode)
        if kind is not None:
            hint = "; give a file name" if kind == "folder" else (
                "; airq writes only regular files (use -o - for standard output)")
            raise OutputUsageError(f"{p} is a {kind}, not a regular file{hint}", option)
        if not overwrite:
            raise OutputError(f"{p} already exists; pass --overwrite to replace it")
    folder = p.parent
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise OutputError(f"folder {folder} {what}; create it or choose another path{name}")
    _probe(folder, p, option)
    return p


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """Return the resolved path and, for an existing file, its (device, inode)."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return real, None
    return real, (st.st_dev, st.st_ino)


def input_files(inputs: Iterable[tuple[str, str | os.PathLike | None]]) -> list[tuple[str, Path]]:
    """Expand ``(role, path)`` inputs with the sidecar files that belong to each.

    A zip member (``archive.zip!member.asc``) is its archive. Missing files are kept
    (a reader reports them later).
    """
    out = []
    for role, path in inputs:
        if path is None or is_stdout(path):
            continue
        p = Path(str(path).split("!", 1)[0])
        out.append((role, p))
        suffix = p.suffix.lower()
        for side in _SIDECARS.get(suffix, ()):
            out.append((role, p.with_name(p.name[: -len(p.suffix)] + side)))
        if suffix == ".gpkg":
            out += [(role, p.with_name(p.name + j)) for j in _JOURNALS]
    return out


def check_outputs(outputs: Mapping[str, str | os.PathLike | None],
                  inputs: Iterable[tuple[str, str | os.PathLike | None]] = (),
                  overwrite: bool = False, *, stdout_options: Iterable[str] = (),
                  protected: Iterable[tuple[str, Path]] = ()) -> dict[str, Path | None]:
    """Check every output of one command together, before any work is done.

    Parameters
    ----------
    outputs
        Output paths by the option (or role) that names them, e.g.
        ``{"-o/--output": "a.csv", "--map": "a.html"}``; None means not asked for.
    inputs
        ``(role, path)`` of every file the command reads (boundaries, grids, layers,
        settings...); their sidecar files count too.
    overwrite
        Whether existing regular files may be replaced.
    stdout_options
        The options for which ``-`` means standard output.
    protected
        ``(description, folder)`` pairs no output may be written into (the catalogue).

    Returns
    -------
    dict
        The checked paths by option (None for standard output or not asked for).

    Raises
    ------
    OutputUsageError
        An output is an input, two outputs are one file, ``-`` where standard output
        is not possible, or a non-regular file.
    OutputError
        As :func:`check_writable`.
    """
    stdout_options = set(stdout_options)
    ins: dict[object, str] = {}
    for role, p in input_files(inputs):
        real, inode = _identity(p)
        ins[real] = role
        if inode is not None:
            ins[inode] = role
    folders = [(what, os.path.realpath(f)) for what, f in protected]
    seen: dict[object, str] = {}
    out: dict[str, Path | None] = {}
    for option, path in outputs.items():
        if path is None:
            out[option] = None
            continue
        if is_stdout(path):
            if option not in stdout_options:
                raise OutputUsageError("standard output (-) can only take -o/--output; give a "
                                       "file name", option)
            if STDOUT in seen:
                raise OutputUsageError(f"standard output is also given to {seen[STDOUT]}",
                                       option)
            seen[STDOUT] = option
            out[option] = None
            continue
        p = Path(path)
        real, inode = _identity(p)
        for key in (real, inode):
            if key is not None and key in ins:
                raise OutputUsageError(f"{p} is an input of this command ({ins[key]}); "
                                       "airq never writes over its inputs: choose another "
                                       "file name", option)
        for what, folder in folders:
            if real == folder or real.startswith(folder.rstrip(os.sep) + os.sep):
                raise OutputUsageError(f"{p} is inside {what} ({folder}); write outputs "
                                       "elsewhere", option)
        for key in (real, inode):
            if key is not None and key in seen:
                raise OutputUsageError(f"{p} is also given to {seen[key]}; give each output "
                                       "its own file", option)
        seen[real] = option
        if inode is not None:
            seen[inode] = option
        out[option] = check_writable(p, overwrite, option)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _remove_with_journals(tmp: Path) -> None:
    """Remove a temporary file and the SQLite journals GDAL may leave beside it."""
    for p in (tmp, *(tmp.with_name(tmp.name + j) for j in _JOURNALS)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def remove_stale_parts(final: Path) -> list[Path]:
    """Remove temporary files of ``final`` left by runs that were killed.

    Temporary names carry the writing process's id
    (``.results.csv.<pid>.<random>.part.csv``); a file whose process is gone is
    the remains of a killed run (SIGKILL, power cut) and is removed, with any
    GeoPackage journal beside it. Files of a live process (a run writing the same
    output now) are left alone.

    Returns
    -------
    list of Path
        The files removed (each is also logged).
    """
    removed = []
    pattern = f".{glob.escape(final.name)}.*.part{glob.escape(final.suffix)}*"
    for part in final.parent.glob(pattern):
        pid = part.name[len(final.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
                removed.append(part)
                log.warning("removed %s, left by an interrupted run (process %s)", part.name,
                            pid)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary file (and any GeoPackage journal) is removed if the block raises
    or is interrupted (SIGINT, and SIGTERM under the CLI), so a failed write never
    leaves a half-written output under the final name. A full disk or a folder that
    turned read-only becomes an :class:`OutputError` naming the file. A run killed
    outright (SIGKILL) cannot clean up: its temporary file is hidden (dot name,
    ``.part`` suffix, tagged with the process id) and the next write of the same
    output removes it (:func:`remove_stale_parts`).

    Examples
    --------
    >>> with atomic_path("out.csv", overwrite=True) as tmp:  # doctest: +SKIP
    ...     df.to_csv(tmp)
    """
    final = check_writable(path, overwrite)
    remove_stale_parts(final)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.{os.getpid()}.",
                                        suffix=".part" + final.suffix, dir=final.parent)
    except OSError as err:
        raise OutputError(f"cannot write {final}: {err.strerror or err}") from err
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to overwrite; let them create it
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"nothing was written for {final}")
        if final.exists() and not overwrite:
            raise OutputError(f"{final} appeared while writing; pass --overwrite to replace it")
        if final.exists() and _kind(final.stat().st_mode) is not None:
            raise OutputUsageError(f"{final} became a non-regular file while writing")
        os.replace(tmp, final)
    except OutputError:
        raise
    except Exception as err:
        full = disk_full_message(err, final.parent)  # before the temporary file is removed
        if full is not None:
            raise OutputError(f"cannot write {final}: {full}; nothing was written (free some "
                              "space or choose another folder)") from err
        if isinstance(err, OSError) and err.errno in ENVIRONMENT_ERRNOS:
            raise OutputError(f"cannot write {final}: {err.strerror}") from err
        raise
    finally:
        _remove_with_journals(tmp)


def write_text(path: str | os.PathLike, text: str, overwrite: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_path(path, overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path, overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(path)
