"""The errors limkit shows to users: they name where the bad input is and what was expected.

Exit codes (the `limkit` command, every subcommand): 0 success; 1 a failure (bad input data, a refused
resume, an unreachable server or hub, a run that stopped); 2 a usage error (the command line itself is
wrong: a missing, unknown or conflicting option, or an option value out of range), as Click does for its
own usage errors; 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

from pathlib import Path


class LimkitError(Exception):
    """An error caused by input or configuration, reported to the user without a traceback.

    Attributes name the place so a user can go straight to it: the file, the 1-based line (or record
    index), and the field.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path if self.line is None else f"{self.path}:{self.line}")
        elif self.line is not None:
            where.append(f"record {self.line}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class UsageError(LimkitError):
    """The command line is wrong (a missing or conflicting option, an out-of-range or unknown value).

    Raised before anything runs; the `limkit` command exits with code 2 for it (1 for other errors).
    """

    exit_code = 2
