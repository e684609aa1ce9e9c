"""User-facing strings of the maps, read from ``twin/i18n/<lang>.yaml``.

Every string shown on a map comes from these files. Keys are nested in the
YAML files and flattened here to dotted names (``layer.buildings``).
"""

from __future__ import annotations

import html
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from twin._yaml import read_yaml

from twin._errors import input_error

I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"

#: Languages with a translation file.
LANGS: tuple[str, ...] = ("en", "nb", "sv", "da")
#: Map audiences.
AUDIENCES: tuple[str, ...] = ("planner", "citizen")


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v)
    return out


@lru_cache(maxsize=None)
def load_strings(lang: str) -> dict[str, str]:
    """All strings of one language as a flat ``{dotted.key: text}`` dict.

    Raises
    ------
    InputError
        If ``lang`` is not one of :data:`LANGS`.
    """
    check_lang(lang)
    return _flatten(read_yaml(I18N_DIR / f"{lang}.yaml", kind="map text file") or {})


def check_lang(lang: str) -> None:
    """Raise :class:`InputError` unless ``lang`` is a known language."""
    if lang not in LANGS:
        raise input_error("--lang", f"unknown language {lang!r}",
                          f"use one of: {', '.join(LANGS)}", column="lang")


def check_audience(audience: str) -> None:
    """Raise :class:`InputError` unless ``audience`` is a known audience."""
    if audience not in AUDIENCES:
        raise input_error("--audience", f"unknown audience {audience!r}",
                          f"use one of: {', '.join(AUDIENCES)}", column="audience")


class Strings:
    """Lookup of translated strings and locale number formatting.

    Parameters
    ----------
    lang : str
        Language code, one of :data:`LANGS`.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._s = load_strings(lang)

    def __call__(self, key: str, **fmt: Any) -> str:
        """The plain text of ``key`` (``str.format`` placeholders filled)."""
        text = self._s[key]
        return text.format(**fmt) if fmt else text

    def h(self, key: str, **fmt: Any) -> str:
        """The text of ``key``, HTML-escaped."""
        return html.escape(self(key, **fmt))

    def get(self, key: str) -> str | None:
        """The text of ``key`` or None when the key does not exist."""
        return self._s.get(key)

    def num(self, value: Any, decimals: int = 0) -> str:
        """Format a number with this language's separators; ``–`` for no data."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return "–"
        if not math.isfinite(x):
            return "–"
        text = f"{x:,.{decimals}f}"
        if text in (f"-{0:.{decimals}f}",):
            text = text[1:]
        dec, thou = self._s["number.decimal"], self._s["number.thousands"]
        return text.replace(",", "\0").replace(".", dec).replace("\0", thou)
