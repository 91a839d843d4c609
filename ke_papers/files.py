"""Every file ke-papers writes goes through here: locked, atomic, and keeping what it replaces.

A write goes to a temporary file beside the target, is fsynced, gets the old file's
mode, owner and group (or, for a new file, the mode the umask gives), and is then renamed
over the target: a crash leaves either the old file or the new one. A rename needs only
the folder's permission, so the file's own is checked, and a file whose owner or group
cannot be kept is not replaced. A symlink is
written through to the file it points to, and locked there. This is the only module
that calls `os.replace`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ke_papers.errors import KePapersError, display_path

LOCK_TIMEOUT = 30.0
#: The largest file ke-papers reads: a bib of a million entries is about 1 GB.
MAX_READ = 2**30
#: Temporary files of writers that died are removed by the next write, once this old.
STALE_SECONDS = 60.0


def real_path(path: Path) -> Path:
    """Where a write really lands: the file a symlink points to, else the path itself."""
    try:
        return path.resolve() if path.is_symlink() else path
    except RuntimeError:  # Python before 3.13 says a loop so
        raise KePapersError(f"{display_path(path)}: a loop of symbolic links") from None


def check_path(path: Path) -> None:
    """Refuse, with one line, a path no command can use as a file: a loop of symbolic
    links, a folder, or a path through a folder that does not exist (or through a file).
    A file that does not exist yet in a folder that does is fine (a write creates it)."""
    import errno
    import stat

    name = display_path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        folder = Path(os.path.realpath(path)).parent
        if not folder.is_dir():
            raise KePapersError(f"{name}: no such folder: {display_path(folder)}") from None
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise KePapersError(f"{name}: a loop of symbolic links") from None
        if exc.errno == errno.ENOTDIR:
            raise KePapersError(f"{name}: a part of this path is a file, not a folder") from None
        raise KePapersError(f"{name}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise KePapersError(f"{name}: is a folder, not a file")


def read_bytes(path: Path, limit: int = MAX_READ) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else is a one-line error.

    A device (`/dev/zero`), a pipe (which would block) or a huge file is refused before
    a byte is read.
    """
    with _regular(path, limit) as fh:
        size = os.fstat(fh.fileno()).st_size
        data = fh.read(size + 1)  # not a buffer of `limit` bytes for a small file
        if len(data) > size:  # it grew meanwhile
            data += fh.read(limit + 1 - len(data))
        return data[:limit]


def digest(path: Path, limit: int = MAX_READ) -> tuple[bytes, os.stat_result]:
    """The SHA-256 of a regular file's bytes and its status, read a MiB at a time: a
    cache can check a big file without holding it."""
    import hashlib

    with _regular(path, limit) as fh:
        sha = hashlib.sha256()
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
        return sha.digest(), os.fstat(fh.fileno())


@contextlib.contextmanager
def _regular(path: Path, limit: int) -> Iterator[BinaryIO]:
    """An open regular file of at most `limit` bytes; anything else is a one-line error."""
    import stat

    with _reading(path), open(path, "rb", opener=_no_block) as fh:
        st = os.fstat(fh.fileno())
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):
            raise KePapersError(f"{display_path(path)}: not a regular file")
        if st.st_size > limit:
            raise KePapersError(
                f"{display_path(path)}: {st.st_size:,} bytes is more than ke-papers reads "
                f"({limit:,})"
            )
        yield fh


def status(path: Path) -> os.stat_result:
    """A file's status, or one line saying why it cannot be read (gone since, say)."""
    with _reading(path):
        return path.stat()


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """A problem reading `path`, as one line."""
    try:
        yield
    except FileNotFoundError:
        raise KePapersError(f"{display_path(path)}: no such file") from None
    except IsADirectoryError:
        raise KePapersError(f"{display_path(path)}: is a folder, not a file") from None
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot read: {exc.strerror}") from None


def _no_block(name: str, flags: int) -> int:
    """Open without waiting for a writer: a FIFO must not hang the command."""
    return os.open(name, flags | getattr(os, "O_NONBLOCK", 0))


def read_text(path: Path, errors: str = "strict") -> str:
    """A UTF-8 text file the user named, or one line saying why it cannot be read."""
    if not path.exists():
        raise KePapersError(f"{display_path(path)}: cannot read: no such file")
    data = read_bytes(path)
    try:
        return data.decode("utf-8", errors=errors)
    except UnicodeDecodeError:
        raise KePapersError(f"{display_path(path)}: cannot read: not UTF-8 text") from None


#: Held while the umask is read (by setting it) in `_new_file_mode`.
_UMASK = threading.Lock()


def _new_file_mode() -> int:
    """The mode a new file gets under the process's umask, which can only be read by
    setting it: under a lock, so that two threads asking at once (the cache writes its
    parts side by side) never take the value set for a moment as the user's, nor leave
    it set."""
    with _UMASK:
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def write_atomic(
    path: Path,
    data: str | bytes | Iterable[bytes | memoryview],
    durable: bool = True,
    tidy: bool = True,
) -> None:
    """Replace `path` with `data` (text, bytes, or buffers written one after another) so
    that a crash leaves either the old or the new file. `durable=False` (for caches,
    which check what they read) skips waiting for the disk; `tidy=False` leaves the
    temporary files of writers that died to the caller (a cache writing many files)."""
    import tempfile

    target = real_path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    buffers = [payload] if isinstance(payload, bytes) else payload
    try:
        old = target.stat()
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot write: {exc.strerror}") from None
    if old is not None:
        _check_replaceable(path, old)
    if tidy:
        remove_stale(target)
    try:
        fd, tmp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp"
        )
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if old is not None:
                _keep_owner(path, fh.fileno(), old)
            for buffer in buffers:
                fh.write(buffer)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode() if old is None else old.st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise KePapersError(f"{display_path(path)}: cannot write: {exc.strerror}") from None
        raise
    if not durable:
        return
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale(target: Path, names: str = "") -> None:
    """Remove the temporary files that writers killed mid-write left beside `target` (or,
    given `names`, beside every file whose name starts with it).

    Each name holds its writer's process ID; one whose process is gone and that has not
    been touched for a minute is garbage.
    """
    import glob
    import time

    pattern = f".{glob.escape(names)}*.tmp" if names else f".{glob.escape(target.name)}.*.tmp"
    for tmp in target.parent.glob(pattern):
        pid = tmp.name.split(".")[-3]  # .NAME.PID.RANDOM.tmp
        if not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            if time.time() - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_replaceable(path: Path, old: os.stat_result) -> None:
    """Refuse what a rename would harm: a device or pipe, a read-only file, a file the
    user may not write (a rename needs only the folder's permission), a hard link."""
    import stat

    name = display_path(path)
    if not stat.S_ISREG(old.st_mode):
        raise KePapersError(f"{name}: not a regular file; write to a file or a new path")
    if not old.st_mode & 0o222:
        raise KePapersError(f"{name}: the file is read-only; make it writable to change it")
    if not os.access(real_path(path), os.W_OK):
        raise KePapersError(
            f"{name}: you may not write this file (owned by user {old.st_uid}, "
            f"mode {stat.S_IMODE(old.st_mode):o}); not replacing it"
        )
    if old.st_nlink > 1:
        raise KePapersError(
            f"{name}: the file has {old.st_nlink} hard links and a write would split them; "
            "write to a copy"
        )


def _keep_owner(path: Path, fd: int, old: os.stat_result) -> None:
    """Give the new file the old one's owner and group, or refuse: a file replaced by
    someone else must not become theirs."""
    if (old.st_uid, old.st_gid) == (os.getuid(), os.getgid()):
        return
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except PermissionError:
        mine = old.st_uid == os.getuid()
        whose = f"group {old.st_gid}" if mine else f"user {old.st_uid}"
        raise KePapersError(f"{display_path(path)}: owned by {whose}; not replacing it") from None


def create_new(folder: Path, stem: str, suffix: str, data: bytes) -> Path:
    """A new file `STEM.SUFFIX` in `folder` (made if need be) holding `data`: never one
    that exists (`STEM-2.SUFFIX` and so on then)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KePapersError(f"{display_path(folder)}: cannot write: {exc.strerror}") from None
    for n in range(1, 1000):
        path = folder / f"{stem}{'' if n == 1 else f'-{n}'}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise KePapersError(f"{display_path(path)}: cannot write: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return path
    raise KePapersError(f"{display_path(folder)}: too many {stem}{suffix} files already")


def write_quietly(
    path: Path, data: bytes | Iterable[bytes | memoryview], tidy: bool = True
) -> bool:
    """For caches: write atomically, creating the folder; False (no error) when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, durable=False, tidy=tidy)
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
            fd = os.open(
                target, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
            )
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
    if not target.parent.is_dir():
        raise KePapersError(f"{display_path(path)}: cannot write: no folder {target.parent}")
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
