"""Errors the user can act on. The CLI prints each as one line; nothing below it exits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class KePapersError(Exception):
    """Bad input or a failed operation: one line for the user, exit code 2.

    `notes` are the details that led to it (each unknown ID of a batch, say), shown first.
    """

    def __init__(self, message: str, notes: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.notes = list(notes)


class BibError(KePapersError):
    """The bib file cannot be read; names the file and line, like a compiler would."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{display_path(self.path)}:{line}" if line else display_path(self.path)
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[BibError], tuple[Path, int | None, str]]:
        """Whole again in the process that reads it (a parse shared among processes)."""
        return (BibError, (self.path, self.line, self.message))


class EncodingNote(UserWarning):
    """A bib file is read in an encoding other than UTF-8; the CLI says so once, on stderr."""


class NotFound(KePapersError):
    """A key, section or file the user named does not exist."""


def display_path(path: Path) -> str:
    """The path relative to the current folder when it is below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return str(path)
