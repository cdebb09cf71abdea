"""policyc.io.atomic: an output file is replaced whole or not at all, keeps its owner, mode
and links, is streamed when it is a FIFO or a device, is never one of the inputs, and leaves
no temporary file behind, whatever signal ends the run."""

from __future__ import annotations

import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from policyc.io import atomic
from policyc.io.atomic import OutputError, Signalled, check_target, refuse_inputs, write_atomic

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
INPUTS = {"records": "the records file"}


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---- regular files ---------------------------------------------------------------------------


def test_an_existing_file_is_replaced_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    write_atomic(target, ["a,b\n", b"1,2\n", "三\n"])
    assert target.read_bytes() == "a,b\n1,2\n三\n".encode()
    assert mode(target) == 0o640
    assert names(tmp_path) == ["out.csv"]


def test_a_failure_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def chunks() -> Iterator[str]:
        yield "half"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomic(target, chunks())
    assert target.read_text(encoding="utf-8") == "old\n"
    assert names(tmp_path) == ["out.csv"]


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")
def test_the_owner_and_group_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chown(target, 65534, 65534)
    target.chmod(0o664)
    write_atomic(target, ["new\n"])
    st = os.stat(target)
    assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert mode(target) == 0o664
    assert target.read_text(encoding="utf-8") == "new\n"


def test_when_the_owner_cannot_be_kept_the_file_is_written_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else's group-writable file: renaming a new file over it would make it ours
    and lock its owner out, so the finished text is copied into it (same inode)."""
    target = tmp_path / "out.csv"
    target.write_text("old contents, longer than the new\n", encoding="utf-8")
    inode = os.stat(target).st_ino
    monkeypatch.setattr(atomic, "_give_back", lambda tmp, old: False)
    write_atomic(target, ["new\n"])
    assert os.stat(target).st_ino == inode
    assert target.read_text(encoding="utf-8") == "new\n"
    assert names(tmp_path) == ["out.csv"]


def test_a_folder_that_takes_no_new_files_is_written_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def no_temp(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", no_temp)
    write_atomic(target, ["new\n"])
    assert target.read_text(encoding="utf-8") == "new\n"


def test_a_read_only_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("keep me\n", encoding="utf-8")
    target.chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        write_atomic(target, ["new\n"])
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert names(tmp_path) == ["out.csv"]


def test_a_directory_and_a_missing_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="directory"):
        check_target(tmp_path)
    with pytest.raises(OutputError, match="does not exist"):
        check_target(tmp_path / "nope" / "out.csv")


# ---- links -----------------------------------------------------------------------------------


def test_a_symlink_stays_and_its_target_is_written(tmp_path: Path) -> None:
    real = tmp_path / "real" / "out.csv"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(Path("real") / "out.csv")
    write_atomic(link, ["new\n"])
    assert link.is_symlink()
    assert os.readlink(link) == str(Path("real") / "out.csv")
    assert real.read_text(encoding="utf-8") == "new\n"
    assert mode(real) == 0o600
    assert names(real.parent) == ["out.csv"]  # the temporary file went beside the target


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to("made.csv")
    write_atomic(link, ["new\n"])
    assert link.is_symlink()
    assert (tmp_path / "made.csv").read_text(encoding="utf-8") == "new\n"


def test_a_hard_link_to_another_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    write_atomic(target, ["new\n"])
    assert target.read_text(encoding="utf-8") == "new\n"


# ---- streams ---------------------------------------------------------------------------------


def test_a_fifo_is_written_as_a_stream_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as f:
            got.append(f.read())

    thread = threading.Thread(target=reader)
    thread.start()
    write_atomic(fifo, ["line 1\n", "line 2\n"] * 1000)  # more than a pipe's buffer
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert got == [b"line 1\nline 2\n" * 1000]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert names(tmp_path) == ["pipe"]


def test_dev_stdout_goes_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    write_atomic("/dev/stdout", ["a,b\n", "1,2\n"])
    assert capsys.readouterr().out == "a,b\n1,2\n"


def test_dev_fd_n_writes_to_that_descriptor() -> None:
    r, w = os.pipe()
    try:
        write_atomic(f"/dev/fd/{w}", ["through fd\n"])
        os.close(w)
        w = -1
        with os.fdopen(r, "rb") as f:
            r = -1
            assert f.read() == b"through fd\n"
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)


@pytest.mark.skipif(not IS_ROOT, reason="making a device node needs root")
def test_a_character_device_is_written_not_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
    write_atomic(null, ["gone\n"])
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert names(tmp_path) == ["null"]


@pytest.mark.skipif(not IS_ROOT, reason="making a device node needs root")
def test_a_block_device_is_refused(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(7, 0))
    with pytest.raises(OutputError, match="block device"):
        write_atomic(disk, ["never\n"])


def test_dev_null_is_a_stream() -> None:
    write_atomic("/dev/null", ["gone\n"])
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# ---- inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["same", "dotted", "hard link", "symlink", "relative"])
def test_an_input_is_refused_however_it_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    records = tmp_path / "r.csv"
    records.write_text("employee_id\nE1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    output: str | Path
    if spelling == "same":
        output = records
    elif spelling == "dotted":
        output = f"{tmp_path}/./../{tmp_path.name}//r.csv"
    elif spelling == "hard link":
        output = tmp_path / "h.csv"
        os.link(records, output)
    elif spelling == "symlink":
        output = tmp_path / "s.csv"
        output.symlink_to(records)
    else:
        output = "r.csv"
    with pytest.raises(OutputError, match="records file"):
        refuse_inputs(output, {str(records): "the records file"})
    assert records.read_text(encoding="utf-8") == "employee_id\nE1\n"


def test_another_file_and_a_shared_device_are_not_inputs(tmp_path: Path) -> None:
    records = tmp_path / "r.csv"
    records.write_text("x\n", encoding="utf-8")
    refuse_inputs(tmp_path / "out.csv", {str(records): "the records file"})
    refuse_inputs("/dev/null", {"/dev/null": "the records file"})
    refuse_inputs(records, {str(tmp_path / "missing.csv"): "the records file"})


# ---- signals ---------------------------------------------------------------------------------

SIGNALS = ["SIGTERM", "SIGHUP", "SIGQUIT", "SIGINT"]


@pytest.mark.parametrize("name", SIGNALS)
def test_a_signal_midway_removes_the_temporary_file(tmp_path: Path, name: str) -> None:
    """The signal comes from inside the write (the chunks send it), so it lands exactly
    while the temporary file is half written."""
    signum = getattr(signal, name)
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def chunks() -> Iterator[str]:
        yield "half of it\n"
        assert len(names(tmp_path)) == 2  # the temporary file exists now
        os.kill(os.getpid(), signum)
        yield "never\n"

    expected = KeyboardInterrupt if name == "SIGINT" else Signalled
    with pytest.raises(expected) as info:
        write_atomic(target, chunks())
    if isinstance(info.value, Signalled):
        assert info.value.signum == signum
    assert names(tmp_path) == ["out.csv"]
    assert target.read_text(encoding="utf-8") == "old\n"
    assert signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler)


def test_an_ignored_signal_stays_ignored(tmp_path: Path) -> None:
    """Under `nohup` SIGHUP is ignored: the write goes on."""
    target = tmp_path / "out.csv"
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:

        def chunks() -> Iterator[str]:
            yield "one\n"
            os.kill(os.getpid(), signal.SIGHUP)
            yield "two\n"

        write_atomic(target, chunks())
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, old)
    assert target.read_text(encoding="utf-8") == "one\ntwo\n"


def test_writing_from_a_thread_needs_no_handlers(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    errors: list[BaseException] = []

    def work() -> None:
        try:
            write_atomic(target, ["from a thread\n"])
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=10)
    assert errors == []
    assert target.read_text(encoding="utf-8") == "from a thread\n"


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="POSIX files and signals")
