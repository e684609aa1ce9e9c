"""The one YAML reader of twin: safe against hostile files.

Every YAML file twin reads (scenarios, ``district.yaml``, import mappings, map
texts) goes through :func:`read_yaml`. It

* reads regular files only (not folders, devices such as ``/dev/zero``,
  FIFOs), at most :data:`MAX_BYTES` bytes;
* decodes UTF-8 (with or without BOM); a file that is not UTF-8 is an error
  that says which encoding it looks like and how to fix it;
* refuses binary files (NUL bytes);
* builds only plain data (``yaml.SafeLoader``: nothing is evaluated);
* refuses aliases and anchors (``&a`` / ``*a``), so an alias bomb ("billion
  laughs") cannot expand;
* refuses nesting deeper than :data:`MAX_DEPTH` levels, and duplicate keys
  in a mapping (YAML forbids them; PyYAML silently keeps the last);

and reports each problem as an :class:`~twin._errors.InputError` line naming
the file, the line and the fix.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from twin._errors import InputError, input_error

#: Largest YAML file read (bytes); a scenario or manifest is a few kB.
MAX_BYTES = 5 * 1024 * 1024
#: Deepest nesting of mappings and sequences accepted.
MAX_DEPTH = 64


class _Refused(yaml.YAMLError):
    def __init__(self, what: str, fix: str, mark: Any) -> None:
        super().__init__(what)
        self.what, self.fix, self.problem_mark = what, fix, mark


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases, with a depth limit and duplicate-key errors."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        if self.check_event(yaml.AliasEvent):
            ev = self.peek_event()
            raise _Refused(f"uses an alias (*{ev.anchor}); aliases and anchors are not allowed",
                           "write the value out in full instead of `&anchor` / `*alias`", ev.start_mark)
        ev = self.peek_event()
        if getattr(ev, "anchor", None) is not None:
            raise _Refused(f"uses an anchor (&{ev.anchor}); aliases and anchors are not allowed",
                           "write the value out in full instead of `&anchor` / `*alias`", ev.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"is nested more than {MAX_DEPTH} levels deep",
                               "flatten the structure (a twin file needs a few levels)", ev.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # noqa: D102
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused("a mapping key is not a plain value", "use text or numbers as keys",
                               key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _Refused("a mapping key is not a plain value", "use text or numbers as keys",
                               key_node.start_mark) from None
            if key in seen:
                raise _Refused(f"duplicate key '{short(key)}' (first on line {seen[key].line + 1})",
                               "keep one of the two entries", key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


# ``<<`` merge keys need aliases, which are refused; keep the constructor plain.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:merge"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def short(value: Any, n: int = 60) -> str:
    """A value for a message: one line, at most ``n`` characters (never a whole structure)."""
    text = value if isinstance(value, str) else type(value).__name__ if isinstance(value, (dict, list)) \
        else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def read_text(path: str | os.PathLike, *, kind: str = "YAML file", max_bytes: int = MAX_BYTES) -> str:
    """Read a small UTF-8 text file given by the user, refusing anything else.

    Parameters
    ----------
    path : path-like
        The file.
    kind : str
        What the file is, for messages ("scenario file", "district.yaml").
    max_bytes : int
        Size limit.

    Raises
    ------
    InputError
        Missing, a folder or device, too large, binary, not UTF-8.
    """
    path = Path(path)
    where = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise input_error(where, f"{kind} not found", "check the path") from None
    except OSError as exc:
        raise input_error(where, f"cannot open the {kind} ({exc.strerror})",
                          "check the path and its permissions") from None
    if stat.S_ISDIR(st.st_mode):
        raise input_error(where, f"is a folder, not a {kind}", "give the path of the .yaml file itself")
    if not stat.S_ISREG(st.st_mode):
        raise input_error(where, f"is not a regular file (a device, pipe or socket), not a {kind}",
                          "give the path of a .yaml file")
    if st.st_size > max_bytes:
        raise input_error(where, f"the {kind} is {st.st_size / 1e6:.1f} MB, above the limit of "
                          f"{max_bytes / 1e6:.0f} MB", f"a {kind} is a few kB: check that this is the right file")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise input_error(where, f"cannot read the {kind} ({exc.strerror})",
                          "check the file's permissions") from None
    if len(data) > max_bytes:
        raise input_error(where, f"the {kind} is larger than {max_bytes / 1e6:.0f} MB",
                          f"a {kind} is a few kB: check that this is the right file")
    if b"\x00" in data:
        raise input_error(where, f"is a binary file, not a text {kind}", "give the .yaml text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = "latin-1/cp1252" if _looks_cp1252(data) else "not UTF-8"
        raise input_error(f"{where}: line {line}", f"the {kind} is not UTF-8 text (it looks {guess})",
                          "save it as UTF-8 (e.g. `iconv -f cp1252 -t utf-8 in.yaml > out.yaml`, "
                          "or 'Save as… UTF-8' in the editor)") from None


def _looks_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def parse_yaml(text: str, *, where: str) -> tuple[Any, Any]:
    """Parse YAML text safely; return the data and its node tree (for line numbers).

    Raises
    ------
    InputError
        Broken YAML, aliases or anchors, deep nesting, duplicate keys.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        line = f": line {exc.problem_mark.line + 1}" if exc.problem_mark is not None else ""
        raise input_error(f"{where}{line}", exc.what, exc.fix) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f": line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise input_error(f"{where}{line}", f"broken YAML: {short(str(problem), 120)}",
                          "fix the YAML syntax (indentation, colons, quotes)") from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting long before
        raise input_error(where, "is nested too deeply", "flatten the structure") from None
    finally:
        loader.dispose()
    return data, node


def read_yaml(path: str | os.PathLike, *, kind: str = "YAML file", with_node: bool = False) -> Any:
    """Read a YAML file with every guard of this module.

    Parameters
    ----------
    path : path-like
        The file.
    kind : str
        What the file is, for messages.
    with_node : bool
        Also return the composed node tree (for line numbers in messages).

    Returns
    -------
    object or (object, yaml.Node)
        The data (plain dicts, lists, strings, numbers, booleans, None).
    """
    text = read_text(path, kind=kind)
    data, node = parse_yaml(text, where=str(path))
    return (data, node) if with_node else data


__all__ = ["MAX_BYTES", "MAX_DEPTH", "InputError", "parse_yaml", "read_text", "read_yaml", "short"]
