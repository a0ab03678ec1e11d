"""Write output files atomically: a temporary file beside the target, then a rename."""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from airq.errors import OutputError

log = logging.getLogger(__name__)


def check_writable(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Check that ``path`` may be written, before any work is done.

    Parameters
    ----------
    path
        The output file.
    overwrite
        Whether an existing file may be replaced.

    Returns
    -------
    Path
        The output path.

    Raises
    ------
    OutputError
        If the file exists and ``overwrite`` is false, or its folder does not exist.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        raise OutputError(f"{p} already exists; pass --overwrite to replace it")
    if not p.parent.exists():
        raise OutputError(f"folder {p.parent} does not exist; create it or choose another -o path")
    if p.is_dir():
        raise OutputError(f"{p} is a folder; give a file name")
    return p


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_parts(final: Path) -> list[Path]:
    """Remove temporary files of ``final`` left by runs that were killed.

    Temporary names carry the writing process's id
    (``.results.csv.<pid>.<random>.part.csv``); a file whose process is gone is
    the remains of a killed run (SIGKILL, power cut) and is removed. Files of a
    live process (a run writing the same output now) are left alone.

    Returns
    -------
    list of Path
        The files removed (each is also logged).
    """
    removed = []
    for part in final.parent.glob(f".{glob.escape(final.name)}.*.part{glob.escape(final.suffix)}"):
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

    The temporary file is removed if the block raises, so an interrupted or failed
    write never leaves a half-written output under the final name. A run killed
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
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{final.name}.{os.getpid()}.", suffix=".part" + final.suffix, dir=final.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to overwrite; let them create it
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"nothing was written for {final}")
        if final.exists() and not overwrite:
            raise OutputError(f"{final} appeared while writing; pass --overwrite to replace it")
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


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
