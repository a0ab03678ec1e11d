"""What every output records about its inputs, so that ``airq verify`` can re-run it.

One entry per input file in ``provenance.inputs``: its ``role`` (``boundaries``,
``grid``, ``layer``; other modules add their own roles), ``source`` (the path as
given), ``sha256`` of the bytes read, and for grids and layers the request as the
user made it (the path, pollutant, year, edition and CRS they gave, or the
catalogue entry), so that the same selection can be made again from the files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

#: The id of the HTML element in which reports and maps carry their JSON document.
EMBED_ID = "airq-provenance"
#: The name of the PDF attachment in which reports carry their JSON document.
ATTACHMENT_NAME = "airq-result.json"
#: Key naming the kind of an embedded document (``query``), so readers know what to re-run.
KIND_KEY = "airq_output"


def working_dir() -> str:
    """Return the folder relative input paths were given in (the current directory)."""
    return os.getcwd()


def boundaries_input(boundaries) -> dict:
    """Return the ``boundaries`` input: file, checksum, layer, filters, CRS given."""
    return {"role": "boundaries", **boundaries.to_dict()}


def _catalogue_sha256(entry) -> str | None:
    """SHA-256 of a catalogued grid's stored copy (the bytes the figures were read from)."""
    from airq.read.grids import sha256_file

    try:
        return sha256_file(entry.path)
    except OSError:
        return None


def grid_input(info, request=None, grid_crs: str | None = None) -> dict:
    """Return the ``grid`` input of one grid read for a run.

    Parameters
    ----------
    info
        The grid's :class:`~airq.read.grids.GridInfo`.
    request
        The :class:`~airq.pipeline.GridRequest` (``--grid``) or catalogue entry it
        was read from, or None when only the grid is known.
    grid_crs
        The ``--grid-crs`` given for the run.
    """
    from airq.read.catalogue.grids import GridEntry

    d = {"role": "grid", **info.to_dict()}
    if isinstance(request, GridEntry):
        d["catalogue_id"] = request.id
        # checked against the catalogue before the grid was read (pipeline.load_grids)
        d["catalogue_sha256"] = info.catalogue_sha256 or _catalogue_sha256(request)
        d["request"] = {"catalogue_id": request.id}
    elif request is not None:
        d["request"] = {"path": str(request.path), "pollutant": request.pollutant,
                        "year": request.year, "edition": request.edition,
                        "grid_crs": request.grid_crs or grid_crs,
                        "units": getattr(request, "units", None)}
    return d


def grid_inputs(requests: Sequence, infos: Sequence, grid_crs: str | None = None) -> list[dict]:
    """``grid`` inputs for grids read from ``requests``, matched to their GridInfo.

    A run may read its grids in another order than requested (batch work on Dask),
    so each GridInfo is matched to its request by the catalogue file or the path.
    """
    from airq.read.catalogue.grids import GridEntry

    def key_of_request(r):
        if isinstance(r, GridEntry):
            return ("catalogue", str(r.path))
        text = str(r.path)
        path, _, member = text.partition("!")
        return ("file", str(Path(path).expanduser()), r.pollutant, member or None)

    out = []
    by_key: dict = {}
    for r in requests:
        if isinstance(r, GridEntry) or hasattr(r, "pollutant"):  # not a Grid in memory
            by_key.setdefault(key_of_request(r), []).append(r)
    for info in infos:
        if info.catalogue_path:
            cands = by_key.get(("catalogue", info.catalogue_path), [])
        else:
            cands = (by_key.get(("file", info.source, info.pollutant, info.member), [])
                     or by_key.get(("file", info.source, info.pollutant, None), [])
                     or by_key.get(("file", info.source, None, info.member), [])
                     or by_key.get(("file", info.source, None, None), []))
        match = next((r for r in cands if getattr(r, "year", info.year) in (None, info.year)),
                     cands[0] if cands else None)
        out.append(grid_input(info, match, grid_crs))
    return out


def layer_input(layer) -> dict:
    """Return the ``layer`` input of a land-use layer screened in a run."""
    p = layer.provenance
    return {"role": "layer", "name": p.name, "source": p.source_path, "sha256": p.sha256,
            "kind": p.kind, "schema": p.schema, "mapping": dict(p.mapping),
            "source_layer": p.source_layer, "source_crs": p.source_crs,
            "catalogued": p.added is not None, "feature_count": p.feature_count,
            "catalogue_sha256": p.catalogue_sha256}


def screen_provenance(boundaries, layers, bands_m, command: str | None = None,
                      synthetic: bool = False, warnings=()) -> dict:
    """Return the provenance of an ``airq screen`` result.

    Inputs, bands, version, command, and the warnings of the run (boundaries dropped or
    repaired, layer features left out...), so each output says them.
    """
    from datetime import UTC, datetime

    from airq import __version__

    return {"airq_version": __version__,
            "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": [boundaries_input(boundaries), *boundaries.extra_inputs,
                       *(layer_input(x) for x in layers)],
            "settings": {"bands_m": [float(b) for b in bands_m]},
            "synthetic": bool(synthetic or boundaries.synthetic), "command": command,
            "working_dir": working_dir(), "warnings": list(warnings)}
