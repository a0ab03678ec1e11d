"""Write ``airq batch`` results: CSV, GeoPackage or GeoParquet, atomically, with provenance.

One writer serves every case: the whole table at once, or per-boundary rows
streamed grid by grid (all of London is 18 million rows; they are never held in
memory together). Rows go to a temporary file beside the output; only when the
run has finished is the provenance recorded and the file renamed into place, so
an interrupted run leaves nothing under the output's name.

Provenance (airq version, inputs with checksums, settings, command) is written
to a sidecar ``<output name>.provenance.json`` for every format, with the
output's own SHA-256, and also inside the file where the format has room for
it: GeoPackage metadata (``airq_provenance`` on the dataset and the layer) and
GeoParquet key-value metadata (``airq_provenance``).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from airq.errors import InputError

if TYPE_CHECKING:
    from airq.analyse.batch import BatchResult

#: Output formats by suffix.
FORMATS = {".csv": "csv", ".gpkg": "gpkg", ".parquet": "parquet", ".geoparquet": "parquet"}
#: Key of the provenance in GeoParquet and GeoPackage metadata.
PROVENANCE_KEY = "airq_provenance"
SYNTHETIC_NOTICE = "SYNTHETIC DEMO DATA"
#: Rows converted and written at a time.
ROWS_PER_WRITE = 250_000


def output_format(path) -> str:
    """Return ``csv``, ``gpkg`` or ``parquet`` for an output path.

    Raises
    ------
    InputError
        For any other suffix.
    """
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot write {p.name}: use a .csv, .gpkg or .parquet file name")
    return fmt


def default_errors_path(output) -> Path:
    """``results.csv.errors.csv`` beside ``results.csv`` (named per output file)."""
    p = Path(output)
    return p.with_name(f"{p.name}.errors.csv")


def provenance_path(output) -> Path:
    """``results.csv.provenance.json`` beside ``results.csv``.

    Named per output file, so ``results.csv`` and ``results.gpkg`` in one folder each
    keep their own record.
    """
    p = Path(output)
    return p.with_name(f"{p.name}.provenance.json")


def _rounded(df: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    """Return a copy with floats to 6 decimals (as query's JSON) and any demo notice."""
    # float32 grids carry ~7 significant digits
    df = df.assign(**{c: df[c].round(6) for c in df.columns if df[c].dtype.kind == "f"})
    if synthetic:
        df.insert(0, "notice", SYNTHETIC_NOTICE)
    return df


def plain_rows(df: pd.DataFrame, synthetic: bool = False,
               keep_bool: bool = False) -> pd.DataFrame:
    """Plain column types for writers; floats to 6 decimals as in query's JSON.

    Categorical columns become text and nullable booleans objects (True, False,
    None), unless ``keep_bool`` (spatial formats keep a true/false field type, even
    for a chunk where every value is missing). With ``synthetic`` a first ``notice``
    column says SYNTHETIC DEMO DATA.
    """
    df = _rounded(df, synthetic)
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object)
        elif str(df[c].dtype) == "boolean" and not keep_bool:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def _arrow_rows(df: pd.DataFrame, synthetic: bool):
    """Rows as an Arrow table for the CSV writer (text for categories, rounded floats)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(_rounded(df, synthetic), preserve_index=False)
    fields = [pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type)
              or pa.types.is_large_string(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))


class BatchWriter:
    """Appends chunks of batch rows to a temporary file; see :func:`open_batch_writer`."""

    def __init__(self, tmp: Path, final: Path, fmt: str, geometry=None, keys=("group",),
                 synthetic: bool = False):
        self.tmp, self.final, self.fmt = tmp, final, fmt
        self.geometry, self.keys, self.synthetic = geometry, list(keys), synthetic
        self.n_rows = 0
        self.sha256: str | None = None
        self.provenance: dict | None = None
        self._writer = None
        self._schema = None
        self._pool = None      # one background thread for Arrow writes (they release
        self._pending = None   # the GIL): formatting rows overlaps the next grid's work

    def _submit(self, fn, *args) -> None:
        """Run an Arrow write in the background; at most one is pending at a time."""
        from concurrent.futures import ThreadPoolExecutor

        self._wait()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="airq-write")
        self._pending = self._pool.submit(fn, *args)

    def _wait(self) -> None:
        """Wait for the pending write; its error, if any, is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # -- chunks -------------------------------------------------------------------
    def write(self, rows: pd.DataFrame, info=None, geometry=None) -> None:
        """Append rows (one grid's, or the whole table) to the output.

        With ``info`` (a GridInfo) and ``geometry`` (the groups' or boundaries'
        geometry) the writer is a ``batch_stats`` sink.
        """
        if self.geometry is None:
            self.geometry = geometry
        synthetic = self.synthetic or bool(info is not None and info.synthetic)
        self.synthetic = synthetic
        write = {"csv": self._write_csv, "gpkg": self._write_gpkg,
                 "parquet": self._write_parquet}[self.fmt]
        # Slices bound the memory of the converted copies (London: 1.5M rows a grid).
        for start in range(0, max(len(rows), 1), ROWS_PER_WRITE):
            write(rows.iloc[start:start + ROWS_PER_WRITE], synthetic)
        self.n_rows += len(rows)

    def __call__(self, rows: pd.DataFrame, info=None, geometry=None) -> None:
        """Write rows as a ``batch_stats`` sink (see :meth:`write`)."""
        self.write(rows, info, geometry)

    def _spatial(self, rows: pd.DataFrame, synthetic: bool):
        import geopandas as gpd

        geo = self.geometry
        if geo is None:
            raise InputError(f"{self.final.name}: a spatial output needs the groups' geometry "
                             "(batch_stats(..., with_geometry=True))")
        df = plain_rows(rows, synthetic, keep_bool=True)  # GeoPackage/Parquet booleans
        keys = [k for k in self.keys if k in df.columns]
        merged = df.merge(plain_rows(geo[[*keys, "geometry"]]), on=keys, how="left")
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=geo.crs)

    def _write_csv(self, rows, synthetic):
        import pyarrow.csv as pcsv

        from airq.render.escape import csv_arrow

        table = csv_arrow(_arrow_rows(rows, synthetic))  # no cell runs as a formula
        if self._writer is None:
            self._schema = table.schema
            self._writer = pcsv.CSVWriter(str(self.tmp), table.schema)
        self._submit(self._writer.write_table, table.cast(self._schema))

    def _write_gpkg(self, rows, synthetic):
        import pyogrio

        gdf = self._spatial(rows, synthetic)
        pyogrio.write_dataframe(gdf, self.tmp, layer=self.final.stem, driver="GPKG",
                                append=self._writer is not None, promote_to_multi=True)
        self._writer = True
        self._schema = gdf.iloc[:0]  # an empty frame of this layer, to add metadata later

    def _write_parquet(self, rows, synthetic):
        import pyarrow as pa
        import pyarrow.parquet as pq
        import shapely

        gdf = self._spatial(rows, synthetic)
        if self._writer is None:
            self._schema = self._geoparquet_schema(gdf)
            self._writer = pq.ParquetWriter(str(self.tmp), self._schema)
        df = pd.DataFrame(gdf.drop(columns="geometry"))
        df["geometry"] = shapely.to_wkb(np.asarray(gdf.geometry.values, dtype=object))
        table = pa.Table.from_pandas(df, preserve_index=False)
        self._submit(self._writer.write_table, table.select(self._schema.names).cast(self._schema))

    def _geoparquet_schema(self, sample):
        """Arrow schema with GeoParquet metadata (from geopandas) for the whole output.

        geopandas writes the metadata of the sample; its bounding box and geometry
        types are set to those of every geometry the output can hold.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        sample.iloc[:1].to_parquet(buf, index=False)
        schema = pq.read_schema(io.BytesIO(buf.getvalue()))
        # A column empty in the first row (no fallback, no verdict) has Arrow's null type
        # there: give it the type of its values (text or true/false), so later rows fit.
        for i, f in enumerate(schema):
            if pa.types.is_null(f.type):
                values = sample[f.name].dropna()
                kind = pa.bool_() if len(values) and all(
                    isinstance(v, bool) for v in values) else pa.string()
                schema = schema.set(i, pa.field(f.name, kind))
        meta = dict(schema.metadata or {})
        geo = json.loads(meta[b"geo"])
        col = geo["columns"][geo["primary_column"]]
        geoms = self.geometry.geometry
        col["bbox"] = [float(v) for v in geoms.total_bounds]
        col["geometry_types"] = sorted(set(geoms.geom_type.dropna()))
        meta[b"geo"] = json.dumps(geo).encode()
        meta.pop(b"pandas", None)
        return schema.with_metadata(meta)

    # -- finish ------------------------------------------------------------------
    def finish(self, provenance: dict, empty_columns=()) -> None:
        """Close the file and record the provenance in it (where the format allows).

        ``empty_columns`` gives the header of a CSV when no row was written.
        """
        from airq.read.grids import sha256_file

        self._wait()
        self._shutdown()
        self.provenance = provenance
        prov = json.dumps(provenance, default=str)
        if self.fmt == "csv":
            if self._writer is None:
                cols = (["notice"] if self.synthetic else []) + list(empty_columns)
                pd.DataFrame(columns=cols).to_csv(self.tmp, index=False)
            else:
                self._writer.close()
        elif self.fmt == "gpkg":
            import pyogrio

            if self._writer is None:
                self._write_gpkg(pd.DataFrame(columns=list(empty_columns)), self.synthetic)
            # GeoPackage metadata (gpkg_metadata), not a second table: readers and QGIS
            # open the file straight onto the results layer.
            pyogrio.write_dataframe(self._schema, self.tmp, layer=self.final.stem,
                                    driver="GPKG", append=True,
                                    layer_metadata={PROVENANCE_KEY: prov},
                                    dataset_metadata={PROVENANCE_KEY: prov})
        else:
            if self._writer is None:
                self._write_parquet(pd.DataFrame(columns=list(empty_columns)), self.synthetic)
            self._writer.add_key_value_metadata({PROVENANCE_KEY: prov})
            self._writer.close()
        self._writer = None
        self.sha256 = sha256_file(self.tmp)

    def abort(self) -> None:
        """Close an open writer without finishing (the temporary file is then removed)."""
        with contextlib.suppress(Exception):
            self._wait()
        self._shutdown()
        if self._writer not in (None, True):
            with contextlib.suppress(Exception):
                self._writer.close()
        self._writer = None


@contextlib.contextmanager
def open_batch_writer(path, overwrite: bool = False, *, geometry=None, keys=("group",),
                      synthetic: bool = False) -> Iterator[BatchWriter]:
    """Yield a :class:`BatchWriter` on a temporary file; rename it into place on success.

    Call ``writer.finish(provenance)`` before the block ends: it closes the file and
    writes the sidecar ``<name>.provenance.json`` (with the output's SHA-256). If the
    block raises, or ends without ``finish``, nothing is left under the output's
    name and no sidecar is written.

    Raises
    ------
    InputError
        For an unknown suffix, or a spatial format without ``geometry``.
    OutputError
        If the output (or its sidecar) exists without ``overwrite``.
    """
    from airq.outputs import atomic_path, check_writable, write_text

    final = Path(path)
    fmt = output_format(final)
    side = provenance_path(final)
    check_writable(side, overwrite)
    with atomic_path(final, overwrite) as tmp:
        writer = BatchWriter(tmp, final, fmt, geometry, keys, synthetic)
        try:
            yield writer
        except BaseException:
            writer.abort()
            raise
        if writer.sha256 is None:
            writer.abort()
            raise InputError(f"internal: {final.name} was not finished")
        record = {"output": {"file": final.name, "format": fmt, "rows": writer.n_rows,
                             "sha256": writer.sha256},
                  "provenance": writer.provenance}
        # The sidecar goes first: an output never lands without its record.
        write_text(side, json.dumps(record, indent=2, default=str) + "\n", overwrite)


def write_batch(result: BatchResult, path, wide: bool = False, overwrite: bool = False) -> Path:
    """Write a :class:`~airq.analyse.batch.BatchResult` to CSV, GeoPackage or GeoParquet.

    GeoPackage and GeoParquet carry each group's (or boundary's) geometry, so the
    table opens in QGIS as a map; they need ``result.geometry``. The provenance
    goes to ``<name>.provenance.json`` and, for GeoPackage and GeoParquet, into the
    file's metadata too.

    Raises
    ------
    OutputError
        If the file exists without ``overwrite`` or its folder is missing.
    InputError
        For an unknown suffix, or a spatial format without geometry.
    """
    rows = result.wide() if wide else result.rows
    synthetic = bool(result.provenance.get("synthetic"))
    with open_batch_writer(path, overwrite, geometry=result.geometry, keys=result.keys,
                           synthetic=synthetic) as w:
        w.write(rows)
        finish_batch(w, result, wide=wide)
    return Path(path)


def finish_batch(writer: BatchWriter, result: BatchResult, wide: bool = False) -> dict:
    """Finish ``writer`` with the provenance of ``result`` (and its errors and warnings).

    ``n_rows`` is what the file holds (one row per group with ``wide``).

    Returns
    -------
    dict
        The provenance recorded with the output.
    """
    prov = {**result.provenance, "warnings": list(result.warnings),
            "n_errors": len(result.errors), "n_rows": writer.n_rows,
            "layout": "wide" if wide else "long",
            "failed_groups": sorted({e.group for e in result.errors})}
    columns = [*result.keys, *_columns()]
    writer.finish(prov, empty_columns=columns)
    return prov


def _columns():
    from airq.analyse.batch import COLUMNS

    return COLUMNS[1:]


def errors_csv(result: BatchResult) -> str:
    """Return the failed groups and reasons as CSV text (no cell runs as a formula)."""
    from airq.render.escape import csv_text

    return csv_text(result.errors_frame())


def write_errors(result: BatchResult, path, overwrite: bool = False) -> Path:
    """Write the failed groups and reasons to a CSV file, atomically."""
    from airq.outputs import write_text

    return write_text(path, errors_csv(result), overwrite)


def build_batch_map(result: BatchResult):
    """Build a folium choropleth of the groups coloured by their worst margin (µg/m³).

    Returns
    -------
    folium.Map
    """
    import folium

    if result.geometry is None:
        raise InputError("a batch map needs the groups' geometry (with_geometry=True)")
    worst = result.worst_margin().rename("worst_margin").reset_index()
    geo = result.geometry.merge(worst, on=result.keys, how="left").to_crs("EPSG:4326")
    geo["worst_margin"] = geo["worst_margin"].round(2)
    # the choropleth joins colours to shapes by row number, not by the group's name: a
    # name is input text and would enter the page's script unescaped
    geo["_key"] = [str(i) for i in range(len(geo))]
    xmin, ymin, xmax, ymax = geo.total_bounds
    m = folium.Map(location=[(ymin + ymax) / 2, (xmin + xmax) / 2], zoom_start=14,
                   tiles="OpenStreetMap")
    # Leaflet, and jQuery for folium's tooltips; not Bootstrap, Font Awesome or
    # awesome-markers, which this map does not use (each would be a download).
    m.default_js = [js for js in m.default_js if js[0] in ("leaflet", "jquery")]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    folium.Choropleth(geo_data=geo[["_key", "geometry"]].to_json(), data=geo,
                      columns=["_key", "worst_margin"], key_on="feature.properties._key",
                      fill_color="RdYlGn_r", fill_opacity=0.7, line_opacity=0.4,
                      nan_fill_color="lightgrey",
                      legend_name="worst margin against the annual objective (µg/m³; "
                                  "> 0 exceeds)",
                      name="worst margin").add_to(m)
    from airq.render.escape import page_frame

    folium.GeoJson(page_frame(geo[[*result.keys, "worst_margin", "geometry"]]).to_json(),
                   name="groups", style_function=lambda f: {"weight": 0, "fillOpacity": 0},
                   tooltip=folium.GeoJsonTooltip(fields=[*result.keys, "worst_margin"])
                   ).add_to(m)
    from airq.render.maps import raw_element, warning_divs

    # every warning of the run is on the page, as on the query map (escaped: it holds
    # file names and group names)
    notes = ("<div style='font-weight:bold'>SYNTHETIC DEMO DATA</div>"
             if result.provenance.get("synthetic") else "") + warning_divs(result.warnings)
    if notes:
        m.get_root().html.add_child(raw_element(
            "<div id='airq-notes' style='position:fixed;top:10px;left:60px;z-index:9999;"
            "background:#fff;padding:4px;max-width:60%'>" + notes + "</div>"))
    return m


def write_batch_map(result: BatchResult, path, overwrite: bool = False,
                    self_contained: bool = False) -> Path:
    """Write :func:`build_batch_map` to an HTML file, atomically.

    With ``self_contained`` every script and stylesheet is inlined from the copies
    shipped in the package, so the map works with no internet (tiles then show nothing).
    """
    from airq.outputs import write_text

    page = build_batch_map(result).get_root().render()
    if self_contained:
        from airq.render.assets import inline_assets

        page = inline_assets(page)
    return write_text(path, page, overwrite)
