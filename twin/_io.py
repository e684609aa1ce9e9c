"""Atomic file writing: write to a temporary file (or folder), then rename into place.

Also the run lock, which keeps two ``twin run`` from writing one output folder.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd

from twin._errors import input_error

#: Lock file in ``--out`` while a run writes there.
LOCK_NAME = ".twin-run.lock"


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def is_twin_output(folder: Path) -> bool:
    """Whether ``folder`` was written by ``twin run`` (every scenario folder holds ``indicators.json``)."""
    return (folder / "indicators.json").is_file()


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a new temporary folder next to ``path``; on success it replaces ``path`` as a whole.

    The outputs of one scenario are written as a set: files of an earlier run
    that this run does not write (a stale ``water_depth.tif``) are gone
    afterwards. An existing ``path`` is replaced only when it is a folder
    written by ``twin run`` (:func:`is_twin_output`). On an exception (or
    SIGINT/SIGTERM) the temporary folder is removed and ``path`` is untouched.

    Raises
    ------
    InputError
        ``path`` exists and is a file, or a folder not written by twin.
    """
    path = Path(path)
    if path.exists() and not (path.is_dir() and not path.is_symlink() and
                              (is_twin_output(path) or not any(path.iterdir()))):
        raise input_error(str(path), "exists and was not written by `twin run`; it is never replaced",
                          "remove or rename it, or choose another --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name[:60]}.", suffix=".tmp", dir=path.parent))
    old: Path | None = None
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; give the usual folder mode
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name[:60]}.", suffix=".old", dir=path.parent))
            os.rename(path, old / "x")
        os.rename(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            if not path.exists() and (old / "x").exists():
                os.rename(old / "x", path)  # put the earlier outputs back
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def run_lock(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (``.twin-run.lock``) while a run writes into it.

    Raises
    ------
    InputError
        Another process holds the lock (a run writing the same folder).
    """
    import fcntl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise input_error(str(folder), "another `twin run` is writing into this folder",
                                  "wait for it to finish, or choose another --out") from None
            raise
        try:  # the holder before us may have removed the file: lock the current one
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
        yield lock
    finally:
        try:
            os.unlink(lock)
        finally:
            os.close(fd)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write bytes atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write JSON (UTF-8, indented, NaN as null) atomically."""
    return write_text(path, json.dumps(_jsonable(obj), indent=2, ensure_ascii=False) + "\n")


def write_gpkg(path: str | os.PathLike, gdf: gpd.GeoDataFrame, *, layer: str | None = None) -> Path:
    """Write a GeoDataFrame as a GeoPackage atomically (one layer)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        gdf.to_file(tmp, layer=layer or path.stem, driver="GPKG", engine="pyogrio")
    return path


def _jsonable(obj: Any) -> Any:
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    return obj
