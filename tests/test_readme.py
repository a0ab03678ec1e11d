"""What README.md states about outputs, checked against real ones (issue 16).

The README's examples run in tests/test_docs_examples.py; this file checks the statements
around them that are not a command's output: the JSON key list, the settings keys, and
that the text report's provenance names every input it read with its whole SHA-256.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import test_promises

demo = test_promises.demo  # the fixture: the demo data in a folder of its own

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _query(demo, *args) -> str:
    root, env = demo
    proc = subprocess.run([sys.executable, "-m", "airq", "query", "--postcode", "RM6 6ZZ",
                           *args], env=env, cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _section(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(heading)
    return text[start:text.index("\n#", start + len(heading))]


def _readme_json_keys() -> dict[str, list[str]]:
    """The README's list of JSON keys: top-level key -> the keys it lists inside."""
    items = re.findall(r"^- (`[^\n]*(?:\n  [^\n]*)*)", _section("#### JSON output"), re.M)
    keys: dict[str, list[str]] = {}
    for item in items:
        head, _, rest = item.partition(":")
        # "- `warnings`, `caveats`: ..." lists two top-level keys
        for key in re.findall(r"`([^`]+)`", head):
            keys[key] = []
        # "- `area`: `name`, ... (a remark)" lists the keys inside (remarks in brackets aside)
        inner = re.sub(r"\([^)]*\)", "", rest)
        keys[key] = [k for k in re.findall(r"`([a-z_0-9]+)`", inner)
                     if not re.fullmatch(r"\d[\d.]*", k)]
    return keys


@pytest.mark.slow
def test_readme_json_key_list_is_the_keys_of_a_real_result(demo):
    doc = json.loads(_query(demo, "-f", "json"))
    listed = _readme_json_keys()
    assert list(listed) == list(doc), "README.md's JSON key list (top level, in order)"
    for key, inner in listed.items():
        if isinstance(doc[key], dict):
            assert inner == list(doc[key]), f"README.md's JSON keys of `{key}`"
        else:
            assert not inner or key == "schema_version", f"`{key}` holds no keys"
    assert doc["schema_version"] == "1.0"
    # what the README says of provenance.inputs
    roles = [i["role"] for i in doc["provenance"]["inputs"]]
    assert {"boundaries", "addresses", "catalogue", "grid", "layer", "historic-map"} <= set(roles)
    assert all({"role", "source", "sha256"} <= set(i) for i in doc["provenance"]["inputs"])


def test_readme_settings_keys_are_the_settings_fields():
    from airq.config import SETTINGS_KEYS

    text = _section("### airq query")
    para = text[text.index("Settings file (`--config FILE`"):]
    para = para[:para.index("\n\n")]
    listed = [k for k in re.findall(r"`([a-z_]+)`", para) if k != "airq"]
    assert listed == list(SETTINGS_KEYS)


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
