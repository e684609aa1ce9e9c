"""Errors raised for bad input.

Every problem with user input is reported as one line that names where the
problem is (file, layer, row or key, column), what is wrong and how to fix it.
:class:`InputError` carries one or more such lines; the CLI prints them to
stderr and exits with code 2, without a traceback.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass

# C0/C1 control characters, DEL and the Unicode bidi/format controls that can
# rewrite what a terminal shows (issue 10: data never reaches the terminal raw).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """Text safe to print on a terminal: one line, control characters removed."""
    return " ".join(_CONTROL.sub("", str(text)).split())


@dataclass(frozen=True)
class Problem:
    """One problem found in user input.

    Parameters
    ----------
    where : str
        The file (and, where it applies, layer) the problem is in.
    what : str
        What is wrong.
    fix : str
        How to fix it.
    row : str | None
        Row identifier (id value or row number) when the problem is in one row.
    column : str | None
        Column or key name when the problem is in one column or key.
    """

    where: str
    what: str
    fix: str
    row: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.where]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        text = ": ".join(parts) + f": {self.what}"
        if self.fix:
            text += f" (fix: {self.fix})"
        return printable(text)  # one line, no control characters, always


class InputError(ValueError):
    """Bad user input: one or more :class:`Problem` lines.

    Parameters
    ----------
    problems : list of Problem or str
        The problems found; strings are taken as ready-made lines.
    """

    def __init__(self, problems: "list[Problem | str] | Problem | str") -> None:
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems: list[Problem | str] = list(problems)
        super().__init__("\n".join(self.lines))

    @property
    def lines(self) -> list[str]:
        """The problems as one-line strings."""
        return [printable(p) for p in self.problems]


def input_error(where: str, what: str, fix: str, *, row: object = None,
                column: str | None = None) -> InputError:
    """Build an :class:`InputError` with a single problem.

    Examples
    --------
    >>> raise input_error("layers/x/buildings.gpkg: layer buildings", "no CRS",
    ...                   "set one with `ogr2ogr -a_srs EPSG:25832`")  # doctest: +SKIP
    """
    return InputError(Problem(where, what, fix,
                              row=None if row is None else str(row), column=column))


#: OS errors that come from the user's environment, with the fix to give.
_OS_FIXES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the disk", "free some space or choose --out on another disk"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or choose --out on another disk"),
    errno.EROFS: ("the file system is read-only", "choose a writable folder for --out"),
    errno.EACCES: ("permission denied", "choose a folder you may write to (or read), or fix its permissions"),
    errno.EPERM: ("operation not permitted", "choose a folder you may write to, or fix its permissions"),
    errno.ENAMETOOLONG: ("file name too long", "shorten the scenario name or the --out path"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "choose --out inside a folder"),
    errno.EISDIR: ("is a folder where a file was expected", "remove the folder or choose another --out"),
    errno.EEXIST: ("already exists", "remove it or choose another --out"),
    errno.EMFILE: ("too many open files", "raise the limit (`ulimit -n`) and run again"),
}


def os_input_error(exc: OSError) -> InputError | None:
    """An :class:`InputError` for an OS error the user can fix (disk full, read-only, ...), else None."""
    known = _OS_FIXES.get(exc.errno or -1)
    if known is None:
        return None
    what, fix = known
    where = exc.filename if exc.filename is not None else "output"
    return InputError(Problem(str(where), what, fix))
