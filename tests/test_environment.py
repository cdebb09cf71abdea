"""Every command under environment faults: an output naming an input, special `-o` targets,
unreadable files, a full or closed standard output, `ulimit -f`, a signal mid-write, and
terminal escapes in record text. Each ends in one line and a proper status, never exit 3."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLE_A, POLICY_A, ROOT, policyc_command

from policyc.cli import main as cli_main

Run = Callable[..., tuple[int, str, str]]
POLICY_A_2022 = ROOT / "policies" / "cs_levels_2022.policy"
IS_ROOT = os.geteuid() == 0
ESC = "\x1b]0;owned\x07\x1b[2J"

# each command with inputs that give it something to print
COMMANDS: dict[str, tuple[str | Path, ...]] = {
    "check": ("check", POLICY_A),
    "eval": ("eval", POLICY_A, EXAMPLE_A),
    "explain": ("explain", POLICY_A, EXAMPLE_A, "--employee", "E2110002", "--period", "2021-06"),
    "diff": ("diff", POLICY_A, POLICY_A_2022, EXAMPLE_A),
    "test": ("test", POLICY_A),
    "fmt": ("fmt", "--check", POLICY_A),
}


@pytest.fixture
def policyc(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["policyc", *map(str, args)])
        with pytest.raises(SystemExit) as exit_info:
            cli_main.main()
        code = exit_info.value.code
        out, err = capsys.readouterr()
        return (code if isinstance(code, int) else 1), out, err

    return run


def spawn(*args: str | Path, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NO_COLOR": "1", "LANG": "C.UTF-8"}
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [*policyc_command(), *map(str, args)], cwd=ROOT, env=env, **kwargs
    )


# ---- -o naming an input -----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["records", "policy", "dotted", "hard link", "symlink"])
@pytest.mark.parametrize("command", ["eval", "diff"])
def test_an_output_naming_an_input_is_refused(
    tmp_path: Path, policyc: Run, how: str, command: str
) -> None:
    records = tmp_path / "r.csv"
    records.write_bytes(EXAMPLE_A.read_bytes())
    policy = tmp_path / "p.policy"
    policy.write_bytes(POLICY_A.read_bytes())
    target: str | Path = {"records": records, "policy": policy}.get(how, records)
    if how == "dotted":
        target = f"{tmp_path}/../{tmp_path.name}/./r.csv"
    elif how == "hard link":
        target = tmp_path / "h.csv"
        os.link(records, target)
    elif how == "symlink":
        target = tmp_path / "s.csv"
        target.symlink_to(records)
    args = (policy, records) if command == "eval" else (policy, POLICY_A_2022, records)
    code, _, err = policyc(command, *args, "-o", target)
    assert code == 2
    assert err.count("\n") == 1 and "of this run" in err, err
    assert records.read_bytes() == EXAMPLE_A.read_bytes()
    assert policy.read_bytes() == POLICY_A.read_bytes()


def test_test_refuses_to_write_over_a_policy_it_runs(tmp_path: Path, policyc: Run) -> None:
    policy = tmp_path / "p.policy"
    policy.write_bytes(POLICY_A.read_bytes())
    code, _, err = policyc("test", policy, "-o", policy)
    assert code == 2 and "a policy of this run" in err
    assert policy.read_bytes() == POLICY_A.read_bytes()


def test_a_read_only_output_is_refused_before_any_work(tmp_path: Path, policyc: Run) -> None:
    target = tmp_path / "out.csv"
    target.write_text("keep\n", encoding="utf-8")
    target.chmod(0o444)
    code, out, err = policyc("eval", POLICY_A, EXAMPLE_A, "-o", target)
    assert (code, out) == (2, "")
    assert err == f"policyc eval: cannot write `{target}`: " + (
        "the file is read-only (make it writable, or choose another name)\n"
    )
    assert target.read_text(encoding="utf-8") == "keep\n"


def test_a_symlinked_output_keeps_the_link(tmp_path: Path, policyc: Run) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "out.csv"
    link.symlink_to("real.csv")
    code, _, err = policyc("eval", POLICY_A, EXAMPLE_A, "-o", link)
    assert code == 0, err
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8-sig").startswith("employee_id,period,")  # BOM: -o CSV


def test_a_fifo_output_is_streamed(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    proc = spawn("eval", POLICY_A, EXAMPLE_A, "--format", "csv", "-o", fifo, stderr=subprocess.PIPE)
    with open(fifo, "rb") as f:
        data = f.read()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert data.startswith(b"employee_id,period,")
    assert os.path.exists(fifo) and not os.path.isfile(fifo)


@pytest.mark.parametrize("target", ["/dev/null", "/dev/stdout"])
def test_a_device_output_is_streamed(target: str) -> None:
    proc = spawn(
        "eval", POLICY_A, EXAMPLE_A, "--format", "csv", "-o", target, stdout=subprocess.PIPE
    )
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert out.startswith(b"employee_id,period,") == (target == "/dev/stdout")
    assert not os.path.isfile("/dev/null")


# ---- unreadable inputs -----------------------------------------------------------------------


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Reading `denied` fails as a file without read permission does (root reads anyway)."""
    real_read_bytes = Path.read_bytes
    real_open = open

    def read_bytes(self: Path) -> bytes:
        if self.resolve() == denied.resolve():
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    def fake_open(file: object, *args: object, **kwargs: object) -> object:
        if isinstance(file, str | Path) and Path(file).resolve() == denied.resolve():
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr("builtins.open", fake_open)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("which", ["policy", "records"])
def test_an_unreadable_input_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, policyc: Run, command: str, which: str
) -> None:
    args = COMMANDS[command]
    denied = EXAMPLE_A if which == "records" else POLICY_A
    if denied not in args:
        pytest.skip(f"`{command}` reads no records")
    _deny(monkeypatch, denied)
    code, _, err = policyc(*args)
    assert "internal error" not in err and "Traceback" not in err
    assert code in (1, 2), err
    assert "Permission denied" in err, err


@pytest.mark.skipif(IS_ROOT, reason="root reads a file without read permission")
def test_an_unreadable_file_as_a_real_user_sees_it(tmp_path: Path) -> None:
    records = tmp_path / "r.csv"
    records.write_bytes(EXAMPLE_A.read_bytes())
    records.chmod(0)
    proc = spawn("eval", POLICY_A, records, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert b"Permission denied" in err and err.count(b"\n") == 1


# ---- standard output -------------------------------------------------------------------------


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_full_stdout_is_one_line_and_exit_2(command: str) -> None:
    args = ("fmt", "-") if command == "fmt" else COMMANDS[command]  # formatted text out
    with open("/dev/full", "wb") as full, open(POLICY_A, "rb") as stdin:
        proc = spawn(*args, stdin=stdin, stdout=full, stderr=subprocess.PIPE)
        _, err = proc.communicate(timeout=120)
    text = err.decode()
    assert proc.returncode == 2, text
    assert text.splitlines()[-1] == (
        "policyc: cannot write to standard output: No space left on device"
    )
    assert "Traceback" not in text and "Exception ignored" not in text


def test_ulimit_f_on_stdout_is_one_line_and_exit_2(tmp_path: Path) -> None:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    with open(tmp_path / "out.txt", "wb") as out:
        proc = spawn(
            "eval", POLICY_A, EXAMPLE_A, stdout=out, stderr=subprocess.PIPE, preexec_fn=limit
        )
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert (
        err.decode().splitlines()[-1] == "policyc: cannot write to standard output: File too large"
    )


@pytest.mark.parametrize("command", ["eval", "explain", "diff", "test", "check"])
def test_a_closed_pipe_ends_quietly_with_status_0(command: str) -> None:
    """`policyc eval ... | head -1`: the reader is gone before policyc writes."""
    proc = spawn(*COMMANDS[command], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert err == b""
    assert proc.returncode == 0


# ---- signals ---------------------------------------------------------------------------------

SLOW_WRITER = """
import sys, time
import policyc.cli.eval_cmd as e
real = e.to_csv
def slow(*a, **k):
    for chunk in real(*a, **k):
        yield chunk
        time.sleep(0.02)
e.to_csv = slow
sys.argv = ["policyc", *sys.argv[1:]]
from policyc.cli.main import main
main()
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGQUIT", "SIGINT"])
def test_a_signal_mid_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, name: str) -> None:
    signum = getattr(signal, name)
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, "eval", POLICY_A, EXAMPLE_A, "-o", target],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(list(tmp_path.iterdir())) < 2:  # the temporary file is being written
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (-signum, 130), err
    assert b"internal error" not in err and b"Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    assert target.read_text(encoding="utf-8") == "old\n"


# ---- record text on a terminal ---------------------------------------------------------------


def _escaped_records(tmp_path: Path) -> Path:
    """Contract A's records with one employee id carrying terminal escapes."""
    text = EXAMPLE_A.read_text(encoding="utf-8").replace("E2110002", "E2110002" + ESC)
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_explain_escapes_record_text(tmp_path: Path, policyc: Run, fmt: str) -> None:
    records = _escaped_records(tmp_path)
    code, out, err = policyc(
        "explain", POLICY_A, records, "--employee", "E2110002" + ESC, "--format", fmt
    )
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert ("\\x1b" if fmt == "text" else "\\u001b") in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_diff_escapes_record_text(tmp_path: Path, policyc: Run, fmt: str) -> None:
    records = _escaped_records(tmp_path)
    code, out, err = policyc("diff", POLICY_A, POLICY_A_2022, records, "--format", fmt)
    assert code == 1, err
    assert "\x1b" not in out and "\x07" not in out and "\x1b" not in err


def test_test_escapes_example_names(tmp_path: Path, policyc: Run) -> None:
    policy = tmp_path / "t.policy"
    policy.write_text(
        'policy "t"\nrecord\n  employee_id : id\n  s : number\nkey employee_id\n'
        "x = s * 2\noutput x\n"
        f'example "bad{ESC}\u202ename"\n  given employee_id = "E1", s = 2\n  expect x = 4\n',
        encoding="utf-8",
    )
    code, out, err = policyc("test", policy)
    assert "\x1b" not in out and "\u202e" not in out, out
    assert code in (0, 1), err
