"""Read GML boundaries, above all HM Land Registry INSPIRE Index Polygons as downloaded.

A council's INSPIRE download is a zip (``Barking_and_Dagenham.zip``) holding
``Land_Registry_Cadastral_Parcels.gml`` and possibly other files: a WFS 2.0 GML 3.2
``wfs:FeatureCollection`` of ``LR:PREDEFINED`` features with ``LR:GEOMETRY`` (a
``gml:Polygon`` in EPSG:27700), ``LR:INSPIREID``, ``LR:LABEL``,
``LR:NATIONALCADASTRALREFERENCE``, ``LR:VALIDFROM`` and ``LR:BEGINLIFESPANVERSION``.
A polygon is a freehold title extent: it carries no address and no street.

GDAL's GML driver would write a ``.gfs`` schema file beside a GML it opens and may
fetch the XML schema named in ``xsi:schemaLocation`` over the network. airq opens
every GML with the open options ``WRITE_GFS=NO`` and ``DOWNLOAD_SCHEMA=NO``
(:data:`GML_OPEN_OPTIONS`), and reads a zip member from a temporary copy, so nothing
is written beside the user's data and nothing is downloaded.

GDAL gives no error for a truncated GML (it returns no features), so the file's end
is checked for the root element's closing tag and, for a WFS collection, the
``wfs:member`` elements are counted and compared with the features read.
"""

from __future__ import annotations

import mmap
import re
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from airq.errors import InputError

#: Open options for every GML airq reads: no ``.gfs`` beside the data, no schema download.
GML_OPEN_OPTIONS = {"WRITE_GFS": "NO", "DOWNLOAD_SCHEMA": "NO"}
#: The GML inside HM Land Registry's council zips.
INSPIRE_GML_NAME = "Land_Registry_Cadastral_Parcels.gml"
#: Columns of an INSPIRE Index Polygons layer (GDAL drops the ``LR:`` prefix).
INSPIRE_COLUMNS = ("INSPIREID", "LABEL", "NATIONALCADASTRALREFERENCE", "VALIDFROM",
                   "BEGINLIFESPANVERSION")
#: Suffixes read through :func:`read_gml_frame` (a zip must hold a GML).
GML_SUFFIXES = (".gml", ".zip")

_MEMBER = re.compile(rb"<wfs:member[\s>]")
_ROOT = re.compile(rb"<\s*([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)[\s>/]")


@dataclass(frozen=True)
class GmlSource:
    """A GML file on disk, or a GML member of a zip archive."""

    path: Path
    member: str | None = None

    @property
    def display(self) -> str:
        """``archive.zip!member`` or the path."""
        return f"{self.path.name}!{self.member}" if self.member else self.path.name


def split_member(path: str | Path) -> tuple[Path, str | None]:
    """Split ``archive.zip!member`` into the archive and the member (None if none)."""
    text = str(path)
    if "!" in text:
        text, member = text.split("!", 1)
        return Path(text).expanduser(), member or None
    return Path(text).expanduser(), None


def resolve_gml(path: str | Path) -> GmlSource:
    """Find the GML to read: the file itself, or the one GML member of a zip.

    Raises
    ------
    InputError
        If the file is missing, the zip is unreadable or holds no GML or several
        (the message lists them and shows the ``archive.zip!member`` form).
    """
    p, member = split_member(path)
    if not p.exists():
        raise InputError(f"boundary file {p} not found")
    if p.suffix.lower() != ".zip":
        return GmlSource(p)
    try:
        with zipfile.ZipFile(p) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(f"{p.name} is not a readable zip archive: {err}") from err
    if member is not None:
        if member not in names:
            raise InputError(f"{p.name} has no member {member!r}; it holds "
                             f"{', '.join(names[:10])}")
        return GmlSource(p, member)
    gmls = [n for n in names if PurePosixPath(n).suffix.lower() == ".gml"
            and not PurePosixPath(n).name.startswith("._")]
    if not gmls:
        raise InputError(f"{p.name} holds no GML file (expected {INSPIRE_GML_NAME}); it holds "
                         f"{', '.join(names[:10]) or 'nothing'}")
    if len(gmls) > 1:
        raise InputError(f"{p.name} holds several GML files ({', '.join(gmls)}); name one as "
                         f"{p.name}!{gmls[0]}")
    return GmlSource(p, gmls[0])


def _check_complete(path: Path, display: str) -> int | None:
    """Check that the GML ends with its root's closing tag; count ``wfs:member`` elements.

    Returns the number of ``wfs:member`` elements, or None when the collection
    uses another member element (then only the closing tag is checked).
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        tail = fh.read().rstrip()
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", head, flags=re.S)
    m = _ROOT.search(text)
    if m is None:
        raise InputError(f"{display} is not XML (no root element); is it really a GML file?")
    root = m.group(1)
    if not tail.endswith(b"</" + root + b">"):
        raise InputError(f"{display} is incomplete: it does not end with </{root.decode()}> "
                         "(a truncated download?); download it again")
    if not root.endswith(b"FeatureCollection") or b"wfs:member" not in head + tail:
        return None
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return sum(1 for _ in _MEMBER.finditer(mm))


def read_gml_frame(path: str | Path, layer: str | None = None, columns=None):
    """Read a GML file, or the GML in a zip, into a GeoDataFrame without side effects.

    Parameters
    ----------
    path
        A ``.gml``, a ``.zip`` holding one (``Land_Registry_Cadastral_Parcels.gml``
        and any other files), or ``archive.zip!member.gml``.
    layer
        The layer, for a GML holding several.
    columns
        Attribute columns to read (default all).

    Returns
    -------
    geopandas.GeoDataFrame
        With ``attrs["member"]`` set to the zip member read (or None).

    Raises
    ------
    InputError
        Missing, truncated or unreadable file; several layers and none chosen.
    """
    import pyogrio

    src = resolve_gml(path)
    tmp = None
    try:
        if src.member:
            # A temporary copy: GDAL reads a plain file twice as fast as /vsizip/, and
            # the completeness check needs the bytes anyway.
            tmp = Path(tempfile.mkdtemp(prefix="airq-gml-"))
            local = tmp / PurePosixPath(src.member).name
            with zipfile.ZipFile(src.path) as zf, zf.open(src.member) as fin, \
                    local.open("wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
        else:
            local = src.path
        n_members = _check_complete(local, src.display)
        try:
            # Not pyogrio.list_layers: it cannot take open options and writes a .gfs.
            with warnings.catch_warnings():
                warnings.filterwarnings("error", "More than one layer found", UserWarning)
                gdf = pyogrio.read_dataframe(local, layer=layer, columns=columns,
                                             use_arrow=True, **GML_OPEN_OPTIONS)
        except UserWarning as err:
            names = str(err).split(": ", 1)[-1].split(". Specify")[0]
            raise InputError(f"{src.display} has several layers ({names}); choose one with "
                             "--boundaries-layer") from err
        except Exception as err:  # GDAL raises several error types for unreadable GML
            raise InputError(f"cannot read {src.display}: {err}") from err
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if n_members is not None and n_members != len(gdf):
        raise InputError(f"{src.display} holds {n_members} wfs:member elements but GDAL read "
                         f"{len(gdf)} features; the file is damaged or not GML 3.2 as "
                         "published")
    for col in INSPIRE_COLUMNS[:3]:
        if col in gdf.columns:  # identifiers are text, whatever type GDAL guessed
            gdf[col] = gdf[col].astype("string")
    if "INSPIREID" in gdf.columns:
        _check_inspire_ids(gdf["INSPIREID"], src.display)
    gdf.attrs["member"] = src.member
    return gdf


def _check_inspire_ids(ids, display: str) -> None:
    """Refuse a feature without an INSPIREID, or an INSPIREID held by two features.

    Every title extent in an INSPIRE Index Polygons file has its own INSPIREID,
    the identifier every output names a boundary by; a blank or repeated one means
    a damaged file or two files joined, and would count one title twice or name
    the boundaries by row number instead.
    """
    text = ids.str.strip()
    blank = (text.isna() | (text == "")).to_numpy()
    if blank.any():
        first = int(blank.argmax())
        raise InputError(f"{display}: feature {first + 1} has no INSPIREID"
                         + (f" (and {int(blank.sum()) - 1} more)" if blank.sum() > 1 else "")
                         + "; every INSPIRE polygon has one: the file is damaged, download it "
                           "again")
    dup = text.duplicated(keep=False).to_numpy()
    if dup.any():
        first = text[dup].iloc[0]
        where = [str(i + 1) for i in (text == first).to_numpy().nonzero()[0][:5]]
        n = int(text[dup].nunique())
        raise InputError(f"{display}: INSPIREID {first} is held by features {', '.join(where)}"
                         + (f" ({n} INSPIREIDs repeat)" if n > 1 else "")
                         + "; each title is in the file once: the file is damaged or two "
                           "files were joined, download it again")
