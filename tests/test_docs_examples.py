"""Every example in README.md and docs/ runs, as a new user would, and prints what the page shows.

See tests/doc_examples.py for the convention. Each page runs in a fresh temporary folder
with a fresh home folder, after ``airq demo`` unless the page says ``docs-test: fresh``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from doc_examples import (
    environment,
    expects_failure,
    matches,
    normalise,
    parse_page,
    python_bin,
    run_command,
)

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted(p for p in (ROOT / d / "README.md" for d in ("grids", "boundaries", "maps",
                                                                "benchmarks")) if p.exists())]


def _version() -> str:
    from airq import __version__

    return __version__


def _page_id(p: Path) -> str:
    return str(p.relative_to(ROOT))


def _skips():
    for page in PAGES:
        for block in parse_page(page).blocks:
            if block.skip:
                yield pytest.param(block.skip, id=f"{_page_id(page)}:{block.line}")


# Pages being rewritten to the executable convention (issue 16); emptied when done.
PENDING = {"README.md", "docs/landuse.md", "docs/batch.md", "docs/maps.md", "docs/rates.md",
           "benchmarks/README.md"}


def _pending(page_path):
    if _page_id(page_path) in PENDING:
        pytest.xfail("page still being rewritten to run as shown (issue 16)")


@pytest.mark.slow
@pytest.mark.parametrize("page_path", PAGES, ids=_page_id)
def test_page_examples_print_what_the_page_shows(page_path, tmp_path):
    _pending(page_path)
    page = parse_page(page_path)
    runnable = [b for b in page.blocks if not b.skip]
    if not runnable:
        pytest.skip(f"{_page_id(page_path)} has no runnable example")
    cwd = tmp_path / "work"
    home = tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    env = environment(ROOT, home, python_bin(tmp_path / "bin"))
    version = _version()
    if not page.fresh:
        status, out = run_command("airq demo", cwd, env)
        assert status == 0, f"airq demo failed before {page_path.name}:\n{out}"
    failures = []
    for block in runnable:
        if block.kind == "python":
            proc = subprocess.run([sys.executable, "-c", block.code], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                failures.append(f"{page_path.name}:{block.line}: the Python block failed:\n"
                                f"{proc.stderr[-2000:]}")
            continue
        for ex in block.examples:
            status, out = run_command(ex.command, cwd, env)
            actual = normalise(out, cwd=cwd, home=home, version=version)
            expected = normalise("\n".join(ex.expected), version=version)
            where = f"{page_path.name}:{ex.line}: $ {ex.command}"
            if not matches(expected, actual):
                import difflib

                d = "\n".join(difflib.unified_diff(expected, actual, "page shows", "printed",
                                                   lineterm="", n=2))
                failures.append(f"{where}\n{d}")
            elif status != 0 and not expects_failure(expected, ex.command):
                failures.append(f"{where}\nexited {status}, but the page shows no error")
            elif status == 0 and any(line.startswith("Error:") for line in expected):
                failures.append(f"{where}\nthe page shows an error, but it exited 0")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("reason", list(_skips()))
def test_examples_that_cannot_run_here_are_marked(reason):
    pytest.skip(f"documented example not run here: {reason}")


@pytest.mark.parametrize("page_path", PAGES, ids=_page_id)
def test_every_shown_command_is_runnable(page_path):
    _pending(page_path)
    assert parse_page(page_path).problems == []


def test_help_texts_in_the_docs_are_generated_from_the_commands():
    """cog regenerates quoted --help texts; --check fails if a page is stale."""
    pages = [str(p) for p in PAGES if "[[[cog" in p.read_text(encoding="utf-8")]
    if not pages:
        pytest.skip("no page quotes a --help text")
    proc = subprocess.run([sys.executable, "-m", "cogapp", "--check", *pages], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr
                                  + "\nrun: python -m cogapp -r " + " ".join(pages))
