"""Thin raster adapter: GeoTIFF in and out, nothing else.

Numeric kernels (``twin.flood``) work on plain numpy arrays; this module is the
only place that knows about GeoTIFF files. Nodata cells are carried as NaN.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from pyproj import CRS

from twin._errors import input_error


@dataclass(frozen=True)
class Raster:
    """A single-band raster on a regular grid.

    Parameters
    ----------
    data : numpy.ndarray
        2-D float64 array, NaN where there is no data.
    transform : affine.Affine
        Pixel-to-map transform (north-up).
    crs : pyproj.CRS
        Coordinate reference system (metric for DEMs).
    """

    data: np.ndarray
    transform: Affine
    crs: CRS

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.data.shape  # type: ignore[return-value]

    @property
    def cellsize_m(self) -> float:
        """Cell width in CRS units."""
        return float(abs(self.transform.a))

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell in CRS units squared."""
        return float(abs(self.transform.a * self.transform.e))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy)."""
        rows, cols = self.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (cols, rows)
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def with_data(self, data: np.ndarray) -> "Raster":
        """A raster on the same grid with other values."""
        if data.shape != self.data.shape:
            msg = f"shape {data.shape} differs from the grid's {self.data.shape}"
            raise ValueError(msg)
        return Raster(np.asarray(data, dtype="float64"), self.transform, self.crs)


def read_dem(path: str | os.PathLike, *, where: str | None = None) -> Raster:
    """Read a single-band GeoTIFF DEM in metres.

    Parameters
    ----------
    path : path-like
        GeoTIFF file.
    where : str, optional
        How to name the file in error messages (default: the path).

    Returns
    -------
    Raster
        Elevations as float64 with NaN for nodata.

    Raises
    ------
    twin._errors.InputError
        The file is missing, unreadable or truncated, has no CRS, is in
        degrees, is rotated, or has no valid cell.
    """
    import rasterio
    from rasterio.errors import RasterioError

    path = Path(path)
    label = where or str(path)
    if not path.exists():
        raise input_error(label, "file not found", "check the path in district.yaml or on the command line")
    try:
        with rasterio.open(path) as src:
            crs = src.crs
            transform = src.transform
            nodata = src.nodata
            data = src.read(1, masked=False).astype("float64")
    except (RasterioError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise input_error(label, f"cannot read the GeoTIFF ({first}); the file is broken or truncated",
                          "export the DEM again as a single-band GeoTIFF") from None
    crs = _check_grid(label, crs, transform)
    if nodata is not None and not np.isnan(nodata):
        data[data == nodata] = np.nan
    if not np.isfinite(data).any():
        raise input_error(label, "the DEM has no valid cell (all nodata)",
                          "check the nodata value and that the file covers the district")
    return Raster(data, transform, crs)


def _check_grid(label: str, crs: object, transform: Affine) -> CRS:
    """The DEM's CRS, checked: present, metric, north-up grid."""
    if crs is None:
        raise input_error(label, "the DEM has no CRS",
                          "assign the metric CRS it is in, e.g. `gdal_edit.py -a_srs EPSG:25833 dem.tif`")
    crs = CRS.from_user_input(crs)
    if crs.is_geographic or not is_metric(crs):
        raise input_error(label, f"the DEM is in {crs.name}, not in metres",
                          "reproject it to a metric CRS, e.g. `gdalwarp -t_srs EPSG:25833 in.tif out.tif`")
    if transform.b != 0 or transform.d != 0:
        raise input_error(label, "the DEM grid is rotated", "warp it to a north-up grid with gdalwarp")
    return crs


@dataclass(frozen=True)
class LazyDem:
    """A DEM read lazily, tile by tile.

    Attributes
    ----------
    data : dask.array.Array
        2-D elevations in chunks of ``chunks x chunks`` cells, float32 for
        float32 files, float64 otherwise; nodata as NaN.
    transform, crs
        Grid of the file.
    """

    data: "Any"
    transform: Affine
    crs: CRS

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return tuple(self.data.shape)  # type: ignore[return-value]


def open_dem_lazy(path: str | os.PathLike, chunks: int, *, where: str | None = None) -> LazyDem:
    """Open a single-band GeoTIFF DEM as a dask array of ``chunks x chunks`` tiles.

    rioxarray reads each tile's window only when a task needs it, so memory
    is bounded by the tiles in flight, not by the DEM. Checks the same
    metadata as :func:`read_dem` (existence, CRS, metres, north-up); the
    values are checked tile by tile by the caller.
    """
    import rasterio
    import rioxarray
    from rasterio.errors import RasterioError

    path = Path(path)
    label = where or str(path)
    if not path.exists():
        raise input_error(label, "file not found", "check the path in district.yaml or on the command line")
    if chunks < 1:
        raise input_error("--chunks", f"a tile side of {chunks} cells is not possible", "use e.g. --chunks 4096")
    try:
        with rasterio.open(path) as src:
            crs, transform, nodata, dtype = src.crs, src.transform, src.nodata, src.dtypes[0]
        with warnings.catch_warnings():  # rioxarray's own use of affine's deprecated `*`
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            xda = rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunks, "x": chunks}, lock=False,
                                          masked=False, cache=False)
    except (RasterioError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise input_error(label, f"cannot read the GeoTIFF ({first}); the file is broken or truncated",
                          "export the DEM again as a single-band GeoTIFF") from None
    crs = _check_grid(label, crs, transform)
    data = xda.data[0]
    if dtype != "float32":
        data = data.astype("float64")
    if nodata is not None and not np.isnan(nodata):
        data = data.map_blocks(_mask_nodata, float(nodata), dtype=data.dtype)
    return LazyDem(data, transform, crs)


def _mask_nodata(block: np.ndarray, nodata: float) -> np.ndarray:
    """NaN where the value equals ``nodata`` compared in float64, as :func:`read_dem` does."""
    out = np.array(block, copy=True)
    out[block.astype(np.float64) == nodata] = np.nan
    return out


def is_metric(crs: CRS) -> bool:
    """Whether every axis of a CRS is in metres."""
    try:
        units = {ax.unit_name.lower() for ax in crs.axis_info}
    except Exception:  # pragma: no cover - exotic CRS
        return False
    return bool(units) and units <= {"metre", "meter", "m"}


def write_geotiff(path: str | os.PathLike, raster: Raster, *, nodata: float = -9999.0,
                  dtype: str = "float32") -> Path:
    """Write a raster as a compressed GeoTIFF, atomically.

    The file is written to a temporary name in the target folder and renamed
    into place, so a crash never leaves a half-written file.

    Parameters
    ----------
    path : path-like
        Target file.
    raster : Raster
        Values (NaN is written as ``nodata``), transform and CRS.
    nodata : float
        Nodata value in the file.
    dtype : str
        Storage type.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    data = np.where(np.isfinite(raster.data), raster.data, nodata).astype(dtype)
    with geotiff_writer(path, data.shape, raster.transform, raster.crs, nodata=nodata, dtype=dtype) as dst:
        dst.write(data, 1)
    return Path(path)


@contextmanager
def geotiff_writer(path: str | os.PathLike, shape: tuple[int, int], transform: Affine, crs: CRS, *,
                   nodata: float = -9999.0, dtype: str = "float32") -> Iterator[Any]:
    """An open rasterio dataset to write a compressed GeoTIFF into, window by window.

    The file is written under a temporary name in the target folder and
    renamed into place when the block ends without error, so a crash never
    leaves a half-written file (and never replaces an existing one).
    """
    import rasterio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself, with the usual permissions
    try:
        profile = dict(driver="GTiff", height=shape[0], width=shape[1], count=1,
                       dtype=dtype, crs=crs.to_wkt(), transform=transform,
                       nodata=nodata, compress="deflate", tiled=True, blockxsize=256,
                       blockysize=256, BIGTIFF="IF_SAFER")
        if shape[0] < 256 or shape[1] < 256:
            profile.update(tiled=False)
            profile.pop("blockxsize")
            profile.pop("blockysize")
        with rasterio.open(tmp, "w", **profile) as dst:
            yield dst
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
