"""Every file ke-papers writes goes through here: locked, atomic, and keeping what it replaces.

A write goes to a temporary file beside the target, is fsynced, gets the old file's
mode and owner (or, for a new file, the mode the umask gives), and is then renamed
over the target: a crash leaves either the old file or the new one. A symlink is
written through to the file it points to, and locked there. This is the only module
that calls `os.replace`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ke_papers.errors import KePapersError, display_path

LOCK_TIMEOUT = 30.0


def real_path(path: Path) -> Path:
    """Where a write really lands: the file a symlink points to, else the path itself."""
    return path.resolve() if path.is_symlink() else path


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a missing or unreadable file is a one-line error."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KePapersError(f"{display_path(path)}: no such file") from None
    except IsADirectoryError:
        raise KePapersError(f"{display_path(path)}: is a folder, not a file") from None
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot read: {exc.strerror}") from None


def read_text(path: Path) -> str:
    """A UTF-8 text file the user named, or one line saying why it cannot be read."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise KePapersError(f"{display_path(path)}: cannot read: {reason}") from None


def _new_file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file."""
    import tempfile

    target = real_path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        old = target.stat()
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot write: {exc.strerror}") from None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if old is None:
            os.chmod(tmp, _new_file_mode())
        else:
            os.chmod(tmp, old.st_mode & 0o7777)
            if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(PermissionError):
                    os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise KePapersError(f"{display_path(path)}: cannot write: {exc.strerror}") from None
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_quietly(path: Path, data: bytes) -> bool:
    """For caches: write atomically, creating the folder; False (no error) when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except (OSError, KePapersError):
        return False
    return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold `path.lock` so that two writers take turns instead of losing each other's work."""
    from filelock import FileLock, Timeout

    target = real_path(path)
    lock = FileLock(str(target) + ".lock", timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        raise KePapersError(
            f"{display_path(path)} is locked by another ke-papers process "
            f"(waited {LOCK_TIMEOUT:.0f} s for {display_path(target)}.lock)"
        ) from None
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot lock: {exc.strerror}") from None
    try:
        yield
    finally:
        lock.release()
