"""Text given per language: a plain string, or ``{en: ..., nb: ..., sv: ..., da: ...}``.

Scenario ``title``/``description`` and the district manifest's
``description``/``synthetic_note`` may be given either way; :func:`local`
picks the text of one language (English, then the first given, when the
language is missing).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

#: Languages of the maps (and of per-language text).
LANGS: tuple[str, ...] = ("en", "nb", "sv", "da")


def check_text(value: Any) -> str | None:
    """None when ``value`` is valid per-language text, else what is wrong with it."""
    if isinstance(value, str):
        return None
    if not isinstance(value, dict) or not value:
        return (f"is a {type(value).__name__}, not text: write a text, or one text per "
                f"language ({', '.join(LANGS)})")
    bad = [str(k)[:20] for k in value if k not in LANGS]
    if bad:
        return f"unknown language {bad[0]!r}: use {', '.join(LANGS)}"
    notext = [k for k, v in value.items() if not isinstance(v, str)]
    if notext:
        return f"the {notext[0]} text is not text"
    return None


def _validate(value: str | dict[str, str]) -> str | dict[str, str]:
    problem = check_text(value)
    if problem:
        raise ValueError(problem)
    return value


#: A pydantic field type for per-language text.
LocalText = Annotated[str | dict[str, str], AfterValidator(_validate)]


def local(value: Any, lang: str) -> str:
    """The text of ``value`` in ``lang`` (English, then the first given, when missing)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        for key in (lang, "en"):
            if isinstance(value.get(key), str):
                return value[key]
        return next((v for v in value.values() if isinstance(v, str)), "")
    return str(value)
