"""Run a command so that a user's mistake is one line, and an interrupted run cleans up.

- ``AirqError`` becomes ``Error: ...`` with exit status 1; an output option naming a
  path it may not (an input, another output, a device) is a usage error naming the
  option (exit 2).
- ``OSError`` from the environment (permission denied, read-only file system, disk
  full, name too long) is one line naming the file, not a traceback.
- SIGINT and SIGTERM raise :class:`Interrupted` in the main thread, so every
  ``finally`` runs: atomic writes remove their ``.part`` files (and GeoPackage
  journals); then the process ends by the same signal (a shell shows status 130 or
  143).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived while a command ran."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, _frame):
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _os_message(err: OSError) -> str | None:
    """Return one line for an environment error (None if it looks like a bug)."""
    from airq.config import AIRQ_HOME_ENV, data_home
    from airq.outputs import ENVIRONMENT_ERRNOS, disk_full_message

    full = disk_full_message(err)
    if err.errno not in ENVIRONMENT_ERRNOS and full is None:
        return None
    what = f" {err.filename}" if err.filename else ""
    reason = full or err.strerror or str(err)
    hint = ""
    with contextlib.suppress(Exception):
        home = data_home(create=False).resolve()
        if err.filename and home in (Path(err.filename).resolve(),
                                     *Path(err.filename).resolve().parents):
            hint = f" (the airq data folder is {home}: set {AIRQ_HOME_ENV} to a folder " \
                   "you can write)"
    return f"cannot use{what}: {reason}{hint}"


def check_utf8_arguments(args) -> None:
    """Refuse an argument that is not valid UTF-8, before any work is done.

    Python keeps such bytes (a file name written in another encoding, a value typed in
    one) as lone surrogates, which cannot be printed, recorded in provenance or written
    to any output: the run ended in a ``UnicodeEncodeError`` traceback.

    Raises
    ------
    click.UsageError
        Naming the argument, its bytes shown as ``\\xff``.
    """
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = os.fsencode(arg).decode("utf-8", "backslashreplace")
            raise click.UsageError(
                f"argument '{shown}' is not valid UTF-8 text; airq records every value and "
                "file name in its outputs: rename the file (or retype the value) in UTF-8"
            ) from None


def invoke_guarded(invoke, ctx: click.Context):
    """Call ``invoke(ctx)`` (a group's invoke), translating errors and signals."""
    from airq.errors import AirqError
    from airq.outputs import OutputUsageError
    from airq.render.escape import terminal_safe

    with signals_interrupt():
        try:
            return invoke(ctx)
        except OutputUsageError as err:
            if err.option:
                raise click.BadParameter(str(err), param_hint=err.option) from err
            raise click.UsageError(str(err)) from err
        except AirqError as err:
            raise click.ClickException(terminal_safe(str(err))) from err
        except OSError as err:
            message = _os_message(err)
            if message is None:
                raise
            raise click.ClickException(terminal_safe(message)) from err
        except Interrupted as err:
            click.echo(f"Error: interrupted ({signal.Signals(err.signum).name}); unfinished "
                       "outputs were removed", err=True)
            # Every `finally` has run. End by the signal itself, as a shell expects (and
            # without waiting for background reads that may hang).
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            signal.signal(err.signum, signal.SIG_DFL)
            os.kill(os.getpid(), err.signum)
            ctx.exit(128 + err.signum)  # reached only if the signal is blocked
