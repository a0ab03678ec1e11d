"""Every example in README.md and docs/ runs, as a new user would, and prints what the page shows.

See tests/doc_examples.py for the convention. Each page runs in a fresh temporary folder
with a fresh home folder, after ``airq demo`` unless the page says ``docs-test: fresh``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from doc_examples import parse_page, run_page

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted(p for p in (ROOT / d / "README.md" for d in ("grids", "boundaries", "maps",
                                                                "benchmarks")) if p.exists())]


def _page_id(p: Path) -> str:
    return str(p.relative_to(ROOT))


def _skips():
    for page in PAGES:
        for block in parse_page(page).blocks:
            if block.skip:
                yield pytest.param(block.skip, id=f"{_page_id(page)}:{block.line}")


@pytest.mark.slow
@pytest.mark.parametrize("page_path", PAGES, ids=_page_id)
def test_page_examples_print_what_the_page_shows(page_path, tmp_path):
    page = parse_page(page_path)
    if not any(not b.skip for b in page.blocks):
        pytest.skip(f"{_page_id(page_path)} has no runnable example")
    failures = run_page(page_path, tmp_path)
    assert not failures, "\n\n".join(failures) + (
        f"\n\nrun `python tests/doc_examples.py {_page_id(page_path)}` to see them, "
        "--update to write what the commands print into the page (then review the diff)")


@pytest.mark.parametrize("reason", list(_skips()))
def test_examples_that_cannot_run_here_are_marked(reason):
    pytest.skip(f"documented example not run here: {reason}")


@pytest.mark.parametrize("page_path", PAGES, ids=_page_id)
def test_every_shown_command_is_runnable(page_path):
    assert parse_page(page_path).problems == []


def test_help_texts_in_the_docs_are_generated_from_the_commands():
    """cog regenerates quoted --help texts; --check fails if a page is stale."""
    pages = [str(p) for p in PAGES if "[[[cog" in p.read_text(encoding="utf-8")]
    if not pages:
        pytest.skip("no page quotes a --help text")
    proc = subprocess.run([sys.executable, "-m", "cogapp", "--check", "-I", "tools", *pages],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr
                                  + "\nrun: python -m cogapp -r -I tools " + " ".join(pages))
