"""Errors raised for bad input.

Every problem with user input is reported as one line that names where the
problem is (file, layer, row or key, column), what is wrong and how to fix it.
:class:`InputError` carries one or more such lines; the CLI prints them to
stderr and exits with code 2, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        return " ".join(text.split())  # one line, always


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
        return [" ".join(str(p).split()) for p in self.problems]


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
