"""The install a new user gets (issue 10, items 10-11): the README's command 1 (``pip install .``)
then command 2 (``pip install -e .``) in a fresh virtual environment.

The venv sees the base interpreter's packages (``--system-site-packages``) and pip runs with
``--no-index --no-deps --no-build-isolation``, so nothing is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)
    assert res.returncode == 0, (args, res.stdout[-2000:], res.stderr[-3000:])
    return res


def test_install_then_editable_install_in_a_fresh_venv(tmp_path):
    venv, work = tmp_path / "venv", tmp_path / "elsewhere"
    work.mkdir()
    _run([sys.executable, "-m", "venv", "--system-site-packages", venv])
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    # the venv's own setuptools may be older than the build needs; use the base interpreter's
    _run([py, "-m", "pip", "uninstall", "-y", "-q", "setuptools"], env=env)
    version = subprocess.run([py, "-c", "import setuptools; print(setuptools.__version__)"], capture_output=True,
                             text=True, env=env).stdout.strip() or "0"
    if int(version.split(".")[0]) < 77:
        pytest.skip(f"the build needs setuptools >= 77 in the base interpreter, found {version} (no download in tests)")
    pip = [py, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]

    # command 1: a regular install, used from another folder
    _run(pip + [ROOT], env=env, cwd=work)
    site = Path(_run([py, "-c", "import os, twin; print(os.path.dirname(twin.__file__))"], env=env,
                     cwd=work).stdout.strip())
    assert venv in site.parents, site
    for f in ("districts/fornebu/district.yaml", "districts/fornebu/dem.tif", "districts/fornebu/buildings.gpkg",
              "scenarios/baseline.yaml", "scenarios/reference/fornebu-2009.yaml", "scenarios/data"):
        assert (site / "data" / f).exists(), f"package data missing: {f}"
    res = _run([venv / "bin" / "twin", "check", site / "data" / "scenarios"], env=env, cwd=work)
    assert res.stdout.count("is valid") == 3
    # a numba kernel compiled by the installed package caches in the user's folder, not in the package
    _run([py, "-c", "import twin._flood_kernels as k; k._offsets(5)"], env=env, cwd=work)
    in_package = [p.name for p in site.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert in_package == []
    assert list((tmp_path / "cache" / "twin" / "numba").rglob("*.nbi"))

    # command 2: the editable install replaces it; `import twin` works from anywhere
    _run(pip + ["-e", ROOT], env=env, cwd=work)
    res = _run([py, "-c", "import twin; twin.load_district; print(twin.__file__)"], env=env, cwd=work)
    assert Path(res.stdout.strip()) == ROOT / "twin" / "__init__.py"
    assert not site.exists(), "the regular install left a folder behind (a namespace package `twin`)"
