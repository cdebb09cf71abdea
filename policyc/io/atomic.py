"""Output files that a run cannot corrupt.

`write_atomic(path, chunks)` writes the results of a run so that nothing is lost:

- a regular file is replaced atomically: the text goes to a temporary file beside it,
  renamed over it only when complete, with the owner, group and mode the old file had
  (a new file: 0666 less the umask). When the owner cannot be kept (the file is someone
  else's and this process may not give it back) or the folder takes no new files, the
  complete text is copied into the existing file instead, so its owner keeps it;
- a symbolic link is followed: its target is written and the link stays;
- a FIFO, a terminal or another character device (`/dev/null`), and `/dev/stdout`,
  `/dev/stderr`, `/dev/fd/N`, are written as a stream, never replaced by a file;
- a read-only file, a directory, a socket and a block device (a disk) are refused;
- the temporary file is removed when anything fails midway, and on SIGTERM, SIGHUP,
  SIGQUIT and SIGINT (the signal then ends the process as it would have: see `Signalled`).

`refuse_inputs` and `check_target` find the mistakes before a run does any work: an output
that is one of the run's inputs (by device and inode, so another spelling of the path, a
hard link and a symbolic link are all caught) and an output that cannot be written.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import BinaryIO

from policyc.messages import default_lang, msg

Chunk = str | bytes

# The signals a user or a supervisor sends to end a run; SIGINT is Python's
# KeyboardInterrupt, which cleans up as any exception does.
CLEANUP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)
_STD_STREAM = re.compile(r"/dev/(?P<name>stdout|stderr)|(?:/dev/fd|/proc/self/fd)/(?P<fd>\d+)")


class OutputError(Exception):
    """Why an output cannot be written, as one line for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StdoutError(Exception):
    """Standard output cannot be written (a full disk, `ulimit -f`): the reason, for one
    line on stderr. A closed pipe is BrokenPipeError instead: the reader had enough."""


class Signalled(BaseException):
    """A termination signal arrived while an output was being written. Raised from the
    signal handler so that every `finally` and `except BaseException` runs (the temporary
    file is removed); the command line then ends the process by the same signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _m(key: str, **fields: object) -> str:
    return msg(key, default_lang(), **fields)


# ---- before the run --------------------------------------------------------------------------


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one existing file (links followed)."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def refuse_inputs(output: str | Path, inputs: Mapping[str, str]) -> None:
    """Raise OutputError when `output` is one of `inputs` (path -> what it is, e.g. "the
    records file"): the results would overwrite what they were computed from. Only
    regular files count: `/dev/null` may well be both."""
    for path, what in inputs.items():
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except (OSError, ValueError):
            continue
        if regular and same_file(output, path):
            raise OutputError(_m("output.is_input", what=what, path=path))


def check_target(output: str | Path) -> None:
    """Raise OutputError when `output` plainly cannot be written (found before any work, so
    a mistyped folder is learnt at once and not after a long run)."""
    path = Path(output)
    if _stream_fd(path) is not None:
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(e.strerror or str(e)) from e
    if st is not None and not stat.S_ISREG(st.st_mode):
        _check_special(st.st_mode)
        return
    target = Path(os.path.realpath(path))
    folder = target.parent
    if st is not None:
        _check_writable_file(target, st)
        return
    if not folder.is_dir():
        key = "output.not_a_folder" if folder.exists() else "output.no_folder"
        raise OutputError(_m(key, folder=_shown_folder(path, target)))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(_m("output.no_create", folder=_shown_folder(path, target)))


def _shown_folder(path: Path, target: Path) -> Path:
    """The folder as the user wrote it, unless a link led elsewhere."""
    return path.parent if path == target or not path.is_symlink() else target.parent


def _check_special(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise OutputError(_m("output.directory"))
    if stat.S_ISBLK(mode):
        raise OutputError(_m("output.block_device"))
    if stat.S_ISSOCK(mode):
        raise OutputError(_m("output.socket"))


def _check_writable_file(target: Path, st: os.stat_result) -> None:
    """A read-only file is refused, as `cp` and a shell's `>` refuse it; for root too (who
    could write it), because the bits say the owner wants it kept."""
    if not st.st_mode & 0o222:
        raise OutputError(_m("output.read_only"))
    if not os.access(target, os.W_OK):
        raise OutputError(_m("output.no_permission"))


# ---- the write -------------------------------------------------------------------------------


def write_atomic(path: str | Path, chunks: Iterable[Chunk]) -> None:
    """Write `chunks` (text as UTF-8, or bytes) to `path` as the module docstring says.
    Raises OutputError for a target that cannot be written, OSError for a failure midway
    (the old file is then as it was) and Signalled for a termination signal."""
    path = Path(path)
    fd = _stream_fd(path)
    if fd is not None:
        _write_fd(fd, chunks)
        return
    check_target(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_stream(path, chunks)
        return
    _replace(Path(os.path.realpath(path)), st, chunks)


def _replace(target: Path, old: os.stat_result | None, chunks: Iterable[Chunk]) -> None:
    mode = stat.S_IMODE(old.st_mode) if old else 0o666 & ~_umask()
    with _cleanup_on_signals():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
        except PermissionError:
            if old is None:
                raise
            # a folder that takes no new files, a file that takes writes: into the file
            _copy_in_place(target, _spooled(chunks))
            return
        try:
            with os.fdopen(fd, "wb") as f:
                _write_all(f, chunks)
            if old is not None and not _give_back(tmp, old):
                _copy_in_place(target, Path(tmp).read_bytes())
            else:
                os.chmod(tmp, mode)
                os.replace(tmp, target)
        finally:
            with _signals_blocked():
                Path(tmp).unlink(missing_ok=True)  # gone already when it was renamed


def _give_back(tmp: str, old: os.stat_result) -> bool:
    """Give the new file the old one's owner and group; False when this process may not."""
    st = os.stat(tmp)
    if (st.st_uid, st.st_gid) == (old.st_uid, old.st_gid):
        return True
    try:
        os.chown(tmp, old.st_uid, old.st_gid)
    except PermissionError:
        return False
    return True


def _copy_in_place(target: Path, data: bytes) -> None:
    """The whole text is ready before the file is opened: a failing run never gets here."""
    with open(target, "r+b") as f:
        f.write(data)
        f.truncate()


def _spooled(chunks: Iterable[Chunk]) -> bytes:
    return b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in chunks)


def _write_all(f: BinaryIO, chunks: Iterable[Chunk]) -> None:
    for chunk in chunks:
        f.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)


def _write_stream(path: Path, chunks: Iterable[Chunk]) -> None:
    """A FIFO or a device: opened for writing as it is (no truncation, no replacement)."""
    with _cleanup_on_signals():
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "wb") as f:
            _write_all(f, chunks)


def _stream_fd(path: Path) -> int | None:
    """The file descriptor that `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` name: written
    through it, since reopening `/dev/stdout` would truncate a file opened with `>>`."""
    m = _STD_STREAM.fullmatch(os.path.abspath(path))
    if m is None:
        return None
    name = m.group("name")
    return {"stdout": 1, "stderr": 2}[name] if name else int(m.group("fd"))


def _write_fd(fd: int, chunks: Iterable[Chunk]) -> None:
    std = {1: sys.stdout, 2: sys.stderr}.get(fd)
    if std is not None:  # through Python's own stream, in order with what else it printed
        for chunk in chunks:
            if isinstance(chunk, str):
                std.write(chunk)
            else:
                std.flush()
                std.buffer.write(chunk)
        std.flush()
        return
    try:
        dup = os.dup(fd)
    except OSError as e:
        raise OutputError(e.strerror or str(e)) from e
    with os.fdopen(dup, "wb") as f:
        _write_all(f, chunks)


# ---- signals ---------------------------------------------------------------------------------


def _raise_signalled(signum: int, _frame: FrameType | None) -> None:
    raise Signalled(signum)


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """Turn the termination signals into `Signalled` while an output is written, so the
    temporary file is removed. A signal a program chose to ignore (`nohup`) or handle
    stays as it was; so does everything outside the main thread, where Python cannot
    set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in CLEANUP_SIGNALS:
        if signal.getsignal(sig) is signal.SIG_DFL:
            previous[sig] = signal.signal(sig, _raise_signalled)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """A second signal must not interrupt the removal of the temporary file."""
    sigs = {*CLEANUP_SIGNALS, signal.SIGINT}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def end_by_signal(signum: int) -> None:
    """End the process by `signum` with its default action, so that the parent sees what
    happened (a shell prints `Terminated`, status 128 + N); exit 128 + N if it survives."""
    signal.signal(signum, signal.SIG_DFL)
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os.kill(os.getpid(), signum)
    sys.exit(128 + signum)


def _umask() -> int:
    """The process umask; reading it means setting it, so it is put straight back."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
