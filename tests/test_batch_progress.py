"""docs/batch.md: the progress bar shows on a terminal after a second, never when piped."""

from __future__ import annotations

import io
import sys

import pytest

from airq.cli import batch as batch_cli
from airq.cli import cli
from tests.test_batch import _grid_args, unseen  # noqa: F401  (fixture)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream, shown", [(_Terminal, True), (io.StringIO, False)])
def test_progress_bar_only_on_a_terminal(monkeypatch, stream, shown):
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    progress = batch_cli._Progress()
    progress.start -= 2 * progress.DELAY_S  # a run already longer than the delay
    progress(1, 4, "NO2 2020 (LAEI 2019)")
    progress.close()
    assert (progress.bar is not None) is shown
    assert ("NO2 2020 (LAEI 2019)" in err.getvalue()) is shown
    if not shown:
        assert err.getvalue() == ""


def test_no_progress_bar_in_the_first_second(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    progress = batch_cli._Progress()
    progress(1, 4, "NO2 2020")
    progress.close()
    assert progress.bar is None


def test_a_batch_run_reports_its_progress(runner, unseen, tmp_path, monkeypatch):  # noqa: F811
    """The command feeds the bar one step per grid, ending at the total."""
    grids, _, plots = unseen
    calls = []
    monkeypatch.setattr(batch_cli._Progress, "__call__",
                        lambda self, done, total, label: calls.append((done, total, label)))
    res = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", *_grid_args(grids),
                              "-o", str(tmp_path / "p.csv")], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert calls and calls[-1][0] == calls[-1][1] == len(grids)
