"""Exceptions that the command line maps to exit codes.

``InputError`` (exit 2) carries every problem found at the boundary, each naming where
(file and key, or column), what was expected and what was found. ``InfeasibleError``
(exit 3) carries a diagnosis of an optimization that has no solution.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what was expected, what was found."""

    where: str  # a file path, or "--set" for a command-line override
    key: str  # dotted key path, column name, or "" for the whole file
    expected: str
    found: str

    def __str__(self) -> str:
        location = f"{self.where}: {self.key}" if self.key else self.where
        return f"{location}: expected {self.expected}; found {self.found}"


class PvclusterError(Exception):
    """Base class of the errors pvcluster reports without a traceback."""

    exit_code = 1


class InputError(PvclusterError):
    """Invalid input: a scenario, an override or a data file. Lists every problem."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem, headline: str | None = None):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        n = len(self.problems)
        self.headline = headline or f"{n} problem{'s' if n != 1 else ''} in the input"
        super().__init__(self.format())

    def format(self) -> str:
        lines = [f"error: {self.headline}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class InfeasibleError(PvclusterError):
    """The optimization has no solution (or is unbounded); the message diagnoses why."""

    exit_code = 3
