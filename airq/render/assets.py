"""The Leaflet, jQuery and plugin files a self-contained map inlines, shipped in airq/static/.

folium writes ``<script src>`` and ``<link href>`` tags pointing at CDNs. For a map
that works with no internet each is replaced by the file's content, taken from the
copies that ship inside the package (``airq/static/<npm package>/...``, with each
package's licence beside it). ``airq/static/assets.json`` pins every package (version,
npm tarball integrity, SHA-256 of every file) and maps each CDN URL to its file;
``tools/refresh_map_assets.py`` refreshes the copies from the npm registry.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import posixpath
import re
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from airq.errors import InputError

_REINSTALL = "reinstall airq (pip install --force-reinstall airq-eho)"


def static_root() -> Traversable:
    """Return the folder of shipped assets (``airq/static`` inside the installed package)."""
    return files("airq") / "static"


@cache
def _manifest_text(root: Traversable) -> str:
    return root.joinpath("assets.json").read_text("utf-8")


def manifest(root: Traversable | None = None) -> dict:
    """Return the pinned packages and URL mapping (``airq/static/assets.json``).

    Raises
    ------
    InputError
        If the manifest is missing or unreadable (a damaged installation).
    """
    root = root or static_root()
    try:
        return json.loads(_manifest_text(root))
    except (OSError, ValueError) as err:
        raise InputError(f"--self-contained: the map assets' manifest {root}/assets.json is "
                         f"missing or damaged ({err}); {_REINSTALL}") from err


def _checksums(m: dict) -> dict[str, tuple[str, dict]]:
    """SHA-256 and package of every shipped file, by its path under the static folder."""
    return {f"{p['name']}/{rel}": (sha, p) for p in m["packages"]
            for rel, sha in p["sha256"].items()}


def check_assets(root: Traversable | None = None) -> Traversable:
    """Check that every file a self-contained map inlines is shipped intact; return the folder.

    Raises
    ------
    InputError
        Naming every missing or altered file, and how to repair the installation.
    """
    root = root or static_root()
    bad = []
    for rel, (sha, _pkg) in _checksums(manifest(root)).items():
        f = root.joinpath(rel)
        if not f.is_file():
            bad.append(f"{rel} (missing)")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != sha:
            bad.append(f"{rel} (altered)")
    if bad:
        raise InputError(f"--self-contained: airq's map assets in {root} are damaged: "
                         f"{', '.join(bad)}; {_REINSTALL}")
    return root


def _asset(url: str, root: Traversable, m: dict) -> tuple[str, bytes]:
    """Return the shipped file for ``url``: its path under the static folder, its bytes."""
    sums = _checksums(m)
    for entry in m["inline"]:
        if re.search(entry["url"], url):
            rel = entry["file"]
            f = root.joinpath(rel)
            if rel not in sums or not f.is_file():
                raise InputError(f"--self-contained: airq's map asset {rel} (for {url}) is "
                                 f"missing from {root}; {_REINSTALL}")
            return rel, f.read_bytes()
    raise InputError(f"--self-contained: no local copy of {url} ships with airq; add its npm "
                     "package to airq/static/assets.json (tools/refresh_map_assets.py)")


def _label(rel: str, m: dict) -> str:
    _sha, pkg = _checksums(m)[rel]
    return f"airq/static/{rel}: {pkg['name']} {pkg['version']}, {pkg['license']}"


def _data_uri(rel: str, data: bytes) -> str:
    mime = "image/svg+xml" if rel.endswith(".svg") else \
        mimetypes.guess_type(rel)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _inline_css(rel: str, text: str, root: Traversable, m: dict) -> str:
    """Return the stylesheet with each relative ``url(...)`` it uses replaced by a data URI."""
    sums = _checksums(m)

    def sub(match: re.Match) -> str:
        ref = match.group(2)
        if ref.startswith(("data:", "#", "http:", "https:")):
            return match.group(0)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(rel),
                                                   ref.split("?")[0].split("#")[0]))
        if target not in sums:  # only files the manifest pins
            return match.group(0)
        return f"url({_data_uri(target, root.joinpath(target).read_bytes())})"

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", sub, text)


def inline_assets(page: str, root: Traversable | None = None) -> str:
    """Replace each ``<script src>`` and stylesheet ``<link href>`` with the shipped file.

    Parameters
    ----------
    page
        HTML written by folium.
    root
        The assets folder; default :func:`static_root`.

    Returns
    -------
    str
        HTML that loads no script or stylesheet from the network.

    Raises
    ------
    InputError
        If a shipped file is missing or altered, or a URL has no shipped copy.
    """
    root = check_assets(root)
    m = manifest(root)

    def script(match: re.Match) -> str:
        rel, data = _asset(match.group(1), root, m)
        body = data.decode("utf-8").replace("</script", "<\\/script")
        return f"<script>/* {_label(rel, m)} */\n{body}\n</script>"

    def link(match: re.Match) -> str:
        rel, data = _asset(match.group(1), root, m)
        css = _inline_css(rel, data.decode("utf-8"), root, m).replace("</style", "<\\/style")
        return f"<style>/* {_label(rel, m)} */\n{css}\n</style>"

    page = re.sub(r'<script src="(https?://[^"]+)"></script>', script, page)
    page = re.sub(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>', link, page)
    left = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', page)
    if left:
        raise InputError(f"--self-contained could not inline {', '.join(left)}")
    return page
