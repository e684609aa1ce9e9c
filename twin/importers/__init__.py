"""Importers: OpenStreetMap files and municipal building registers → district folders.

* :func:`twin.importers.osm.import_osm` — ``.osm.pbf``, ``.osm``, Overpass JSON, GeoJSON.
* :func:`twin.importers.vector.import_vector` — any GDAL vector file with a YAML column mapping.
* :func:`write_imported` — write the imported layers as a district folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

__all__ = ["write_imported"]

#: Columns added by the importers that the district schema does not declare
#: but that are kept for transparency (provenance of every value).
PROVENANCE_COLUMNS = ("use_source", "floors_source", "year_source", "heating_source")


def write_imported(layers: dict[str, gpd.GeoDataFrame], out_dir: str | os.PathLike, *, name: str,
                   dem_path: str | os.PathLike | None = None,
                   source_file: str | os.PathLike) -> Path:
    """Write imported layers as a district folder (``synthetic: false``).

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        As returned by :func:`~twin.importers.osm.import_osm` or
        :func:`~twin.importers.vector.import_vector`; all in one metric CRS.
    out_dir : path-like
        A new or empty folder.
    name : str
        District name.
    dem_path : path-like, optional
        A GeoTIFF DEM to copy into the folder.
    source_file : path-like
        The imported file; OSM inputs (``.osm.pbf``, ``.osm``, Overpass
        JSON, GeoJSON through ``import_osm``) get the OSM attribution and
        ODbL licence, other files an attribution naming the file.

    Returns
    -------
    pathlib.Path
        The district folder.
    """
    from twin.district import write_district

    buildings = layers["buildings"]
    crs = buildings.crs.to_string() if buildings.crs is not None else None
    if crs is None:
        from twin._errors import input_error

        raise input_error(str(source_file), "the imported buildings have no CRS",
                          "set `crs:` in the mapping file")
    src = Path(source_file)
    is_osm = bool(buildings.attrs.get("osm")) or src.name.lower().endswith(
        (".pbf", ".osm", ".osm.gz", ".osm.bz2"))
    if is_osm:
        from twin.importers.osm import ATTRIBUTION, LICENCE

        attribution, licence = ATTRIBUTION, LICENCE
    else:
        attribution = str(buildings.attrs.get("attribution") or f"Imported from {src.name}")
        licence = str(buildings.attrs.get("licence") or "see the licence of the source register")
    description = f"Imported from {src.name} by twin"
    return write_district(out_dir, name=name, crs=crs, layers=dict(layers), dem_path=dem_path,
                          synthetic=False, attribution=attribution, licence=licence,
                          description=description)
