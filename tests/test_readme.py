"""What README.md states about outputs, checked against real ones (issue 16).

The README's examples run in tests/test_docs_examples.py; this file checks the statements
around them that are not a command's output: the JSON key list, the settings keys, and
that the text report's provenance names every input it read with its whole SHA-256.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo data in a folder of its own, and the environment that uses its catalogue."""
    root = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "AIRQ_HOME": str(root / "home"), "HOME": str(root)}
    env.pop("MAPTILER_KEY", None)
    subprocess.run([sys.executable, "-m", "airq", "demo", "--dir", str(root)], env=env,
                   check=True, capture_output=True)
    return root, env


def _query(demo, *args) -> str:
    root, env = demo
    proc = subprocess.run([sys.executable, "-m", "airq", "query", "--postcode", "RM6 6ZZ",
                           *args], env=env, cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_query_report_provenance_names_every_input_with_its_whole_sha256(demo, fmt):
    """README: the text and Markdown results end with every input's name and SHA-256."""
    doc = json.loads(_query(demo, "-f", "json"))
    out = _query(demo, "-f", fmt)
    prov = out[out.index("Provenance"):]
    for i in doc["provenance"]["inputs"]:
        assert f"{Path(i['source']).name}" in prov, i["role"]
        assert i["sha256"] in prov, (i["role"], i["source"])
        if i.get("catalogue_sha256"):
            assert i["catalogue_sha256"] in prov, (i["role"], i["source"])
    layers = [i for i in doc["provenance"]["inputs"] if i["role"] == "layer"]
    assert len(layers) == 4
    for i in layers:
        assert f"land-use layer {i['name']}: {Path(i['source']).name}, sha256 {i['sha256']}" \
            in prov
