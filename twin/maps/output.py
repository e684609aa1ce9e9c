"""Writing maps: atomic HTML files, offline checks, PNG screenshots with headless Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from twin._errors import input_error
from twin._io import write_bytes
from twin.maps._page import TwinMap, page_html

#: Chromium used for screenshots and browser tests (Debian package ``chromium``).
CHROMIUM = os.environ.get("TWIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
#: Seconds to wait for a map to be drawn before a screenshot.
READY_TIMEOUT_S = 120

# Markup that makes a browser fetch a remote resource.
_REMOTE = re.compile(
    r"""<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//"""
    r"""|@import\s+["'](?:https?:)?//"""
    r"""|\{s\}\.tile""", re.IGNORECASE)


def remote_references(page: str) -> list[str]:
    """Snippets of markup in ``page`` that would make a browser fetch a remote URL."""
    return [page[max(0, mo.start() - 20): mo.end() + 40] for mo in _REMOTE.finditer(page)]


def render_page(maps: list[TwinMap], *, title: str, offline: bool,
                extra: dict[str, Any] | None = None) -> str:
    """The HTML page of one or more maps (the fixed skeleton + one JSON blob).

    Offline pages must have no tile layer and are checked to contain no URL
    a browser would fetch.
    """
    if offline:
        for m in maps:
            if m.tiles:
                raise input_error(title or "map",
                                  "offline map has a tile layer (needs the internet)",
                                  "build the map with scenario_map(..., offline=True)")
    data = {"maps": [m.spec() for m in maps], **(extra or {})}
    page = page_html(title, data)
    if offline:
        bad = remote_references(page)
        if bad:
            raise RuntimeError(f"offline map would fetch remote resources: {bad[:3]}")
    return page


def write_map(m: TwinMap, path: str | os.PathLike, *, offline: bool) -> Path:
    """Write a map to one HTML file, atomically.

    Leaflet and every script and style are inlined in all maps. With
    ``offline`` the map must have no tile layer (build it with
    ``scenario_map(..., offline=True)``) and the page is checked to contain no
    URL a browser would fetch.

    Parameters
    ----------
    m : TwinMap
        The map.
    path : path-like
        Output file (``map.html``); its folder is created.
    offline : bool
        Whether the file must work with no network.

    Returns
    -------
    Path
        The file written.
    """
    if offline and m.tiles:
        raise input_error(str(path), "offline map has a tile layer (needs the internet)",
                          "build the map with scenario_map(..., offline=True)")
    page = render_page([m], title=m.title, offline=offline)
    return write_bytes(Path(path), page.encode("utf-8"))


def launch_chromium(playwright: Any) -> Any:
    """Launch the system Chromium headless with the project's flags."""
    if not Path(CHROMIUM).exists():
        msg = (f"Chromium not found at {CHROMIUM}: install the Debian package "
               "(`apt-get install chromium`) or set TWIN_CHROMIUM")
        raise RuntimeError(msg)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS),
                                      headless=True)


def save_png(html_path: str | os.PathLike, png_path: str | os.PathLike, *, width: int = 1600,
             height: int = 1000) -> Path:
    """Screenshot of a map HTML file with headless Chromium (for slides and print).

    Waits until the map has been drawn (``window.twinReady``) and, for online
    maps, until tiles have loaded.

    Returns
    -------
    Path
        The PNG written (atomically).
    """
    from playwright.sync_api import sync_playwright

    html_path, png_path = Path(html_path).resolve(), Path(png_path)
    if not html_path.is_file():
        raise input_error(str(html_path), "map file not found", "write the map first")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = _drawn_page(browser, html_path, width, height)
            png = page.screenshot(full_page=False)
        finally:
            browser.close()
    return write_bytes(png_path, png)


#: A4 landscape minus 8 mm margins (the @page rule of runtime.css) in CSS pixels (96 per inch).
A4_LANDSCAPE_PX: tuple[int, int] = (round((297 - 16) / 25.4 * 96), round((210 - 16) / 25.4 * 96))


def save_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *,
             browser: Any = None) -> Path:
    """Print a map page to a one-sheet A4 landscape PDF with headless Chromium.

    The page is laid out at the sheet's size with the print stylesheet
    (panels open, no zoom or layer buttons), the district fitted to the sheet,
    then printed (Chromium print-to-PDF).

    Parameters
    ----------
    html_path, pdf_path : path-like
        The map page and the PDF to write.
    browser : playwright Browser, optional
        A running Chromium (else one is launched).

    Returns
    -------
    Path
        The PDF written (atomically).
    """
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    if not html_path.is_file():
        raise input_error(str(html_path), "map file not found", "write the map first")
    if browser is not None:
        return write_bytes(pdf_path, _print_pdf(browser, html_path))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            pdf = _print_pdf(b, html_path)
        finally:
            b.close()
    return write_bytes(pdf_path, pdf)


def _print_pdf(browser: Any, html_path: Path) -> bytes:
    page = _drawn_page(browser, html_path, *A4_LANDSCAPE_PX, print_mode=True)
    try:
        page.wait_for_timeout(300)
        return page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        page.close()


def _drawn_page(browser: Any, html_path: Path, width: int, height: int, *,
                print_mode: bool = False) -> Any:
    """A new page of ``browser`` with the map drawn (``window.twinReady``) and tiles settled.

    With ``print_mode`` the page is laid out with the print stylesheet and
    refitted for the sheet (``twin.printMode()``) before the tiles settle.
    """
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        if print_mode:
            page.emulate_media(media="print")
        page.goto(html_path.as_uri(), wait_until="load", timeout=READY_TIMEOUT_S * 1000)
        page.wait_for_function("window.twinReady !== undefined", timeout=READY_TIMEOUT_S * 1000)
        if print_mode:
            page.evaluate("twin.printMode()")
    except BaseException:
        page.close()
        raise
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except Exception:  # noqa: BLE001 - tiles unreachable: use what is drawn
        pass
    return page
