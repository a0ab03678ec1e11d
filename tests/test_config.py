"""Settings files: every documented key works, unknown keys and wrong types name key and file."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airq.cli import cli
from airq.config import SETTINGS_KEYS, Settings, load_settings
from airq.errors import ConfigError

README = Path(__file__).resolve().parents[1] / "README.md"

#: A valid TOML value for every key a settings file may hold, and what it gives.
VALID = {
    "method": ('"area-weighted"', "area-weighted"),
    "sd": ('"sample"', "sample"),
    "objectives": ('"who-2021"', ("who-2021",)),
    "bands_m": ("[0, 100, 250.5]", (0.0, 100.0, 250.5)),
    "strict": ("true", True),
    "per_boundary": ("true", True),
    "drop_implausible": ("true", True),
    "tile_source": ('"uk-osgb25k1937"', "uk-osgb25k1937"),
    "tile_attribution": ('"Example Archive"', "Example Archive"),
    "tile_title": ('"OS 25 inch"', "OS 25 inch"),
    "maptiler_key_env": ('"NLS_KEY"', "NLS_KEY"),
    "maptiler_key": ('"k-123"', "k-123"),
    "address_columns": ('{uprn = "UPRN_NO", street = "STREET"}',
                        {"uprn": "UPRN_NO", "street": "STREET"}),
}


def write(tmp_path, text, name="airq.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_every_settings_key_is_covered_here_and_documented():
    assert set(VALID) == set(SETTINGS_KEYS)
    readme = README.read_text("utf-8")
    for key in SETTINGS_KEYS:
        assert f"`{key}`" in readme, f"settings key {key} is not documented in README.md"


@pytest.mark.parametrize("under_table", [False, True])
@pytest.mark.parametrize("key", sorted(VALID))
def test_every_key_works_at_top_level_and_under_airq(tmp_path, key, under_table):
    toml, expected = VALID[key]
    text = f"[airq]\n{key} = {toml}\n" if under_table else f"{key} = {toml}\n"
    s = load_settings(write(tmp_path, text))
    assert getattr(s, key) == expected
    others = {k: v for k, v in dataclasses.asdict(s).items() if k != key}
    assert others == {k: v for k, v in dataclasses.asdict(Settings()).items() if k != key}


def test_all_keys_at_once_and_dashes(tmp_path):
    text = "".join(f"{k.replace('_', '-')} = {v[0]}\n" for k, v in VALID.items())
    s = load_settings(write(tmp_path, text))
    assert {k: getattr(s, k) for k in VALID} == {k: v[1] for k, v in VALID.items()}


@pytest.mark.parametrize("toml, expected", [
    ('"who-2021"', ("who-2021",)),
    ('"uk, who-2021"', ("uk", "who-2021")),
    ('["uk", "who-2021"]', ("uk", "who-2021")),
])
def test_objectives_string_or_list(tmp_path, toml, expected):
    assert load_settings(write(tmp_path, f"objectives = {toml}\n")).objectives == expected


def test_command_line_wins_over_file(tmp_path):
    s = load_settings(write(tmp_path, 'method = "all-touched"\nstrict = true\n'),
                      method="centre", strict=None)
    assert s.method == "centre" and s.strict is True


@pytest.mark.parametrize("text, key, says", [
    ('per_boundary = "false"\n', "per_boundary", "expected `bool`, got `str`"),
    ("strict = 1\n", "strict", "expected `bool`, got `int`"),
    ('bands_m = "0,50,250"\n', "bands_m", "expected `array`, got `str`"),
    ('bands_m = [0, "50"]\n', "bands_m[1]", "expected `float`, got `str`"),
    ('method = "centres"\n', "method", "invalid enum value 'centres'; one of 'centre', "
                                       "'all-touched', 'area-weighted'"),
    ('sd = "n-1"\n', "sd", "invalid enum value 'n-1'; one of 'population', 'sample'"),
    ("objectives = 5\n", "objectives", "expected `str | array`, got `int`"),
    ("tile_attribution = true\n", "tile_attribution", "expected `str | null`, got `bool`"),
    ('[airq]\nper_boundary = "false"\n', "per_boundary", "expected `bool`, got `str`"),
])
def test_wrong_type_names_key_and_file(tmp_path, text, key, says):
    cfg = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    msg = str(err.value)
    assert str(cfg) in msg and f"key {key!r}" in msg and says in msg


@pytest.mark.parametrize("text, says", [
    ("per_bondary = true\n", "unknown key 'per_bondary'; known keys: method, sd"),
    ("[airq]\ncolour = 'red'\n", "unknown key 'colour'"),
    ("airq = 5\n", "'airq' must be a table ([airq] followed by settings), not 5"),
    ('method = "centre"\n[airq]\nsd = "sample"\n', "settings both at top level (method)"),
    ("bands_m = [50, 0]\n", "bands_m must be increasing distances >= 0, not [50.0, 0.0]"),
    ("bands_m = [0, inf]\n", "bands_m must be increasing distances >= 0, not [0.0, inf]"),
    ("bands_m = [nan]\n", "bands_m must be increasing distances >= 0, not [nan]"),
    ('objectives = ""\n', "objectives must name at least one objective set"),
    ("method = \n", "is not valid TOML"),
    ('tile_source = "https://tiles.example.org/{z}/{x}/{y}.png"\n',
     "tile_source is a URL template; add tile_attribution saying whose tiles they are"),
    ('tile_source = "https://t.example.org/{z}/{x}/{y}.png"\ntile_attribution = " "\n',
     "add tile_attribution"),
])
def test_bad_files_name_the_file(tmp_path, text, says):
    cfg = write(tmp_path, text)
    with pytest.raises(ConfigError, match=re.escape(says)) as err:
        load_settings(cfg)
    assert str(cfg) in str(err.value)


def test_a_byte_order_mark_is_not_a_setting(tmp_path):
    cfg = tmp_path / "notepad.toml"
    cfg.write_bytes(b'\xef\xbb\xbfsd = "sample"\n')  # as Windows Notepad saves UTF-8
    assert load_settings(cfg).sd == "sample"


def test_not_utf8_and_missing(tmp_path):
    cfg = tmp_path / "latin1.toml"
    cfg.write_bytes('tile_attribution = "Cartes © IGN"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.toml is not UTF-8 text \(byte 0xa9 at offset "
                                          r"27\); save it as UTF-8"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(tmp_path)


def test_maptiler_key_never_in_provenance_or_repr():
    s = Settings(maptiler_key="secret-key")
    assert "secret-key" not in repr(s)
    assert "maptiler_key" not in s.to_dict() and "secret-key" not in str(s.to_dict())


@given(st.one_of(st.integers(-(2**63), 2**63 - 1),
                 st.floats(allow_nan=False, allow_infinity=False),
                 st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",))),
                 st.lists(st.booleans(), max_size=3)))
def test_any_non_bool_for_a_flag_is_refused(value):
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        cfg = write(Path(d), f"per_boundary = {json.dumps(value)}\n")
        with pytest.raises(ConfigError, match=r"key 'per_boundary': expected `bool`"):
            load_settings(cfg)


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("command", [["query", "plots.gpkg"], ["map", "plots.gpkg", "-o", "m.html"],
                                     ["batch", "plots.gpkg", "--group-by", "street", "-o",
                                      "r.csv"],
                                     ["layers", "tiles"]])
@pytest.mark.parametrize("text, says", [
    ('per_boundary = "false"\n', "key 'per_boundary': expected `bool`, got `str`"),
    ("airq = 5\n", "'airq' must be a table"),
    (b"method = \"centr\xe9\"\n", "is not UTF-8 text"),
])
def test_cli_one_line_error_exit_1(runner, tmp_path, monkeypatch, command, text, says):
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "bad.toml"
    cfg.write_bytes(text if isinstance(text, bytes) else text.encode())
    r = runner.invoke(cli, [*command, "--config", str(cfg)])
    assert r.exit_code == 1, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: config file ")
    assert says in lines[0] and "bad.toml" in lines[0]
    assert "Traceback" not in r.output
