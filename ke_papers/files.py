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
    if old is not None:
        _check_replaceable(path, old)
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


def _check_replaceable(path: Path, old: os.stat_result) -> None:
    """Refuse what a rename would harm: a device or pipe, a read-only file, a hard link."""
    import stat

    name = display_path(path)
    if not stat.S_ISREG(old.st_mode):
        raise KePapersError(f"{name}: not a regular file; write to a file or a new path")
    if not old.st_mode & 0o222:
        raise KePapersError(f"{name}: the file is read-only; make it writable to change it")
    if old.st_nlink > 1:
        raise KePapersError(
            f"{name}: the file has {old.st_nlink} hard links and a write would split them; "
            "write to a copy"
        )


def write_quietly(path: Path, data: bytes) -> bool:
    """For caches: write atomically, creating the folder; False (no error) when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except (OSError, KePapersError):
        return False
    return True


def _flock(path: Path, deadline: float) -> int:
    """An fd of `path` (or of its folder when it does not exist yet) under an exclusive lock.

    The lock is on the file itself, so no lock file is left beside it and anyone who can
    read the file can take it. A writer replaces the file by renaming a new one over it:
    a waiter that wakes up holding the old inode sees that and locks the new file.
    """
    import fcntl
    import time

    while True:
        target = path if path.exists() else path.parent
        try:
            fd = os.open(target, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            if path.parent.exists():
                continue  # the file vanished between the check and the open
            raise
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise TimeoutError from None
                time.sleep(0.02)
        try:
            same = os.fstat(fd).st_ino == os.stat(target).st_ino and target == (
                path if path.exists() else path.parent
            )
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` so that two writers take turns instead of losing
    each other's work. A file that does not exist yet is locked through its folder."""
    import time

    target = real_path(path)
    try:
        import fcntl  # noqa: F401
    except ImportError:  # not POSIX: a lock file beside the target
        with _lock_file(target, path):
            yield
        return
    try:
        fd = _flock(target, time.monotonic() + LOCK_TIMEOUT)
    except TimeoutError:
        raise KePapersError(
            f"{display_path(path)} is locked by another ke-papers process "
            f"(waited {LOCK_TIMEOUT:.0f} s)"
        ) from None
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot lock: {exc.strerror}") from None
    try:
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _lock_file(target: Path, path: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(target) + ".lock", timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        raise KePapersError(
            f"{display_path(path)} is locked by another ke-papers process"
        ) from None
    try:
        yield
    finally:
        lock.release()
