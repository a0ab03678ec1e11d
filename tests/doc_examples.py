"""Find the examples in README.md and docs/*.md, run them as a new user would, compare output.

The convention (docs/CONTRIBUTING-docs.md):

- A fenced block tagged ``console`` holds examples: a line starting with ``$ `` is a command
  (a trailing backslash continues it on the next line); the lines after it, up to the next
  ``$ `` line, are exactly what it prints (standard output and standard error, as a terminal
  shows them). A line holding only ``...`` matches any number of lines; ``...`` inside a line
  matches any text.
- A fenced block tagged ``python`` is run with the Python running the tests; it must exit 0.
- ``<!-- skip: REASON -->`` on the line before a block: the block is not run, and the test
  reports it as skipped with its reason.
- ``<!-- docs-test: fresh -->`` anywhere in a page: its blocks run in an empty folder, without
  ``airq demo`` having been run first.
- Any other fenced block with a line starting with ``$ `` is an error: every shown command
  must run.

Each page runs in its own temporary folder, shown as ``/tmp/airq-example``, with its own home
folder shown as ``~``; the airq data directory is the default ``~/.local/share/airq``, also
given as ``$AIRQ_HOME``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: The folder pages pretend to run in (the real temporary folder is shown as this).
SHOWN_CWD = "/tmp/airq-example"
_FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)\s*$")
_SKIP = re.compile(r"^<!--\s*skip:\s*(.+?)\s*-->\s*$")
_FRESH = "<!-- docs-test: fresh -->"


@dataclass
class Example:
    """One command shown in a console block and what the page says it prints."""

    line: int
    command: str
    expected: list[str]


@dataclass
class Block:
    """A fenced block of a page: console examples or a Python snippet."""

    line: int
    kind: str  # "console" or "python"
    skip: str | None
    examples: list[Example] = field(default_factory=list)
    code: str = ""


@dataclass
class Page:
    """A documentation page and its runnable blocks."""

    path: Path
    blocks: list[Block]
    fresh: bool
    problems: list[str]


def parse_page(path: Path) -> Page:
    """Read a Markdown page's runnable blocks (and any shown command that is not runnable)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    problems: list[str] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, tag = m.group(1), m.group(2).lower()
        start = i
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        body = lines[i + 1:j]
        prev = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        skip_m = _SKIP.match(prev.strip())
        skip = skip_m.group(1) if skip_m else None
        if tag == "console":
            blocks.append(Block(start + 1, "console", skip, _examples(body, start + 2)))
        elif tag == "python":
            blocks.append(Block(start + 1, "python", skip, code="\n".join(body) + "\n"))
        elif any(b.startswith("$ ") for b in body) and skip is None:
            problems.append(f"{path.name}:{start + 1}: a block showing `$ ` commands must be "
                            "tagged console (so the test runs it) or marked <!-- skip: ... -->")
        i = j + 1
    return Page(path, blocks, _FRESH in "\n".join(lines), problems)


def _examples(body: list[str], first_line: int) -> list[Example]:
    out: list[Example] = []
    k = 0
    while k < len(body):
        if not body[k].startswith("$ "):
            k += 1
            continue
        line = first_line + k
        cmd = body[k][2:]
        while cmd.endswith("\\") and k + 1 < len(body):
            k += 1
            cmd = cmd + "\n" + body[k]  # bash reads backslash-newline as a continuation
        k += 1
        expected = []
        while k < len(body) and not body[k].startswith("$ "):
            expected.append(body[k])
            k += 1
        while expected and not expected[-1].strip():
            expected.pop()
        out.append(Example(line, cmd, expected))
    return out


# ----------------------------------------------------------------------------- running

def environment(root: Path, home: Path, bindir: Path) -> dict[str, str]:
    """The environment a page runs in: its own home, UTC, plain terminal, the test's Python."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRQ_", "MAPTILER")) and k not in ("COLUMNS", "LINES")}
    env.update(HOME=str(home), TZ="UTC", LANG="C.UTF-8", LC_ALL="C.UTF-8", COLUMNS="100",
               TERM="dumb", NO_COLOR="1", PYTHONHASHSEED="0",
               MPLCONFIGDIR=str(home / ".matplotlib"),
               PATH=os.pathsep.join([str(bindir), str(Path(sys.executable).parent),
                                     env.get("PATH", "")]))
    env.pop("XDG_DATA_HOME", None)
    # The data directory is the platform default under the page's home, and is also named
    # by AIRQ_HOME so that pages can show commands that use "$AIRQ_HOME".
    env["AIRQ_HOME"] = str(home / ".local" / "share" / "airq")
    return env


def python_bin(folder: Path) -> Path:
    """A folder whose ``python`` and ``python3`` are the interpreter running the tests.

    Small scripts that exec it, not symlinks: a symlink to a virtual environment's
    python starts the base interpreter (Python looks for ``pyvenv.cfg`` beside the path
    it was started by), without the environment's packages.
    """
    import shlex
    import stat

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3"):
        script = folder / name
        if not script.exists():
            script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
            script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def run_command(command: str, cwd: Path, env: dict, timeout: float = 300) -> tuple[int, str]:
    """Run a shown command with bash; return its exit status and merged output."""
    proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode, proc.stdout.decode("utf-8", errors="replace")


# ----------------------------------------------------------------------------- comparing

_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                       r"(?:Z|[+-]\d{2}:?\d{2})?")
_RECENT_DATE = re.compile(r"\b20(?:2[5-9]|[3-9]\d)-\d{2}-\d{2}\b")
# SHA-256 checksums, whole or shortened to 12+ hex digits (with at least one letter a-f)
_SHA = re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{12,64}\b")
_DURATION = re.compile(r"\b(in|took|after) \d+(?:\.\d+)? ?(ms|s|seconds|min)\b")


def normalise(text: str, *, cwd: Path | None = None, home: Path | None = None,
              version: str | None = None) -> list[str]:
    """Lines of ``text`` with run-specific details replaced by fixed placeholders.

    Temporary folders become ``/tmp/airq-example`` and ``~``; SHA-256 checksums, times,
    recent dates (2025 on: the date of the run, not dates in the data), run durations and
    the airq version become placeholders; trailing spaces go.
    """
    if home is not None:
        text = text.replace(str(home), "~")
    if cwd is not None:
        text = text.replace(str(cwd), SHOWN_CWD)
    if version:
        text = text.replace(version, "<version>")
    text = _SHA.sub("<sha256>", text)
    text = _ISO_TIME.sub("<time>", text)
    text = _RECENT_DATE.sub("<date>", text)
    text = _DURATION.sub(lambda m: f"{m.group(1)} <duration>", text)
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _pattern(expected: list[str]) -> re.Pattern:
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(p) for p in line.split("...")) + r"\n")
    return re.compile("".join(parts))


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` lines match ``expected`` (``...`` lines and inline ``...``)."""
    text = "".join(line + "\n" for line in actual)
    return _pattern(expected).fullmatch(text) is not None


def expects_failure(expected: list[str], command: str) -> bool:
    """Whether the page accounts for the command's non-zero exit status.

    It does when it shows an error, a usage message or a failed check, tests ``$?``, or
    shows the whole output (no ``...`` line), which the comparison has then checked line
    by line (``airq verify`` and ``airq grids check`` report differences with exit 1).
    """
    return (any(line.startswith(("Error:", "Usage:", "FAILED")) for line in expected)
            or "$?" in command or "||" in command
            or (bool(expected) and not any(line.strip() == "..." for line in expected)))


def diff(expected: list[str], actual: list[str]) -> str:
    """A unified diff of what the page shows against what the command printed."""
    return "\n".join(difflib.unified_diff(expected, actual, "page", "printed", lineterm="",
                                          n=2))


def today_iso() -> str:
    """Today's date (for messages)."""
    return dt.date.today().isoformat()


# ----------------------------------------------------------------------------- updating

def run_page(path: Path, workdir: Path, update: bool = False) -> list[str]:
    """Run a page's examples in ``workdir``; return the failures (and rewrite the page).

    With ``update``, every example whose output differs gets the normalised output it
    printed written into the page in place of what it showed (review with ``git diff``).
    """
    from airq import __version__

    page = parse_page(path)
    root = Path(__file__).resolve().parents[1]
    cwd, home = workdir / "work", workdir / "home"
    cwd.mkdir(parents=True)
    home.mkdir()
    env = environment(root, home, python_bin(workdir / "bin"))
    if not page.fresh:
        status, out = run_command("airq demo", cwd, env)
        if status:
            return [f"airq demo failed:\n{out}"]
    lines = path.read_text(encoding="utf-8").splitlines()
    replacements: list[tuple[int, int, list[str]]] = []
    failures: list[str] = []
    for block in page.blocks:
        if block.skip:
            continue
        if block.kind == "python":
            proc = subprocess.run([sys.executable, "-c", block.code], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=300)
            if proc.returncode:
                failures.append(f"{path.name}:{block.line}: the Python block failed\n"
                                f"{proc.stderr[-2000:]}")
            continue
        for ex in block.examples:
            status, out = run_command(ex.command, cwd, env)
            actual = normalise(out, cwd=cwd, home=home, version=__version__)
            expected = normalise("\n".join(ex.expected), version=__version__)
            same = matches(expected, actual)
            shows_error = any(line.startswith("Error:") for line in expected)
            if (same and status == 0 and shows_error and "|" not in ex.command
                    and "$?" not in ex.command):  # a shown "exit status $?" checks it
                failures.append(f"{path.name}:{ex.line}: $ {ex.command}\n"
                                "the page shows an error, but it exited 0")
                continue
            if same and (status == 0 or expects_failure(expected, ex.command)):
                continue
            failures.append(f"{path.name}:{ex.line}: $ {ex.command} (exit {status})\n"
                            + (diff(expected, actual) if not same else
                               "exited non-zero but the page shows no error"))
            if same:
                continue
            first = ex.line + ex.command.count("\n")  # 1-based line of the last command line
            replacements.append((first, first + len(ex.expected), actual))
    if update and replacements:
        for start, stop, new in sorted(replacements, reverse=True):
            lines[start:stop] = new
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return failures


def main(argv: list[str] | None = None) -> int:
    """``python tests/doc_examples.py [--update] PAGE...``: run pages, show (or write) diffs."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--update", action="store_true",
                        help="write what each differing example printed into the page")
    parser.add_argument("pages", nargs="+", type=Path)
    args = parser.parse_args(argv)
    bad = 0
    for page in args.pages:
        with tempfile.TemporaryDirectory(prefix="docs-") as tmp:
            failures = run_page(page.resolve(), Path(tmp), update=args.update)
        for f in failures:
            print(f, end="\n\n")
        updated = " (page updated)" if args.update and failures else ""
        print(f"{page}: {len(failures)} example(s) differ{updated}")
        bad += bool(failures)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
