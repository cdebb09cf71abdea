#!/usr/bin/env python3
"""Every command under random environment faults, through the real `policyc` process.

usage: python bench/fuzz_env.py [--seed N] [--count N] [--rows N]

Each case picks a command and a fault: an unreadable input, a full standard output
(`/dev/full`), a closed pipe, `ulimit -f`, a termination signal (SIGTERM, SIGHUP, SIGQUIT,
SIGINT) at a random moment of an `eval -o` over a generated file, or a special `-o`
target (a FIFO with a reader, /dev/null, a symlink, a hard link to the records, the
records or the policy themselves, a read-only file, a directory). A problem is: exit 3 or
a traceback, a temporary file left behind, an input changed, an output file that is
neither the old one nor complete. The bounded, deterministic versions of these cases are
tests/test_atomic.py and tests/test_environment.py; this runner draws many more at random.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "cs_levels_2021.policy"
POLICY_2022 = ROOT / "policies" / "cs_levels_2022.policy"
SCRIPT = Path(sys.executable).with_name("policyc")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "policyc"]
IS_ROOT = os.geteuid() == 0
HEADER = b"employee_id,period,"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def commands(records: Path) -> dict[str, list[str]]:
    r = str(records)
    return {
        "check": ["check", str(POLICY)],
        "eval": ["eval", str(POLICY), r],
        "explain": ["explain", str(POLICY), r, "--employee", "E2110002"],
        "diff": ["diff", str(POLICY), str(POLICY_2022), r],
        "test": ["test", str(POLICY)],
    }


def run(args: list[str], stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1", "LANG": "C.UTF-8"}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [*COMMAND, *args],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=600,
        check=False,
    )


def crashed(code: int, err: bytes) -> str | None:
    if code == 3 or b"Traceback" in err or b"internal error" in err:
        return f"exit {code}: {err.decode(errors='replace')[-400:]}"
    return None


class Case:
    def __init__(self, rnd: random.Random, work: Path, records: Path) -> None:
        self.rnd, self.work, self.records = rnd, work, records

    def stdout_fault(self) -> str | None:
        name, args = self.rnd.choice(list(commands(self.records).items()))
        kind = self.rnd.choice(["full", "pipe", "fsize"])
        if kind == "full":
            with open("/dev/full", "wb") as full:
                done = run(args, stdout=full)
        elif kind == "fsize":
            limit = self.rnd.choice([0, 1, 512, 4096])
            out = self.work / "stdout.txt"

            def cap() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

            with open(out, "wb") as f:
                done = subprocess.run(
                    [*COMMAND, *args],
                    cwd=ROOT,
                    stdout=f,
                    stderr=subprocess.PIPE,
                    preexec_fn=cap,
                    timeout=600,
                    check=False,
                )
        else:
            proc = subprocess.Popen(
                [*COMMAND, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            assert proc.stdout is not None
            proc.stdout.read(self.rnd.choice([0, 1, 100]))
            proc.stdout.close()
            err = proc.communicate(timeout=600)[1]
            # 0 when the pipe closed first; the usual status (diff: 1) when all fitted
            if proc.returncode not in (0, 1) or err:
                return f"{name} | closed pipe: exit {proc.returncode}, stderr {err[:200]!r}"
            return None
        return crashed(done.returncode, done.stderr) or (
            None
            if done.returncode == 2 or (kind == "fsize" and done.returncode in (0, 1))
            else f"{name} {kind}: exit {done.returncode}"
        )

    def unreadable(self) -> str | None:
        if IS_ROOT:
            return None  # root reads everything; tests/test_environment.py fakes it
        copy = self.work / "locked.csv"
        copy.write_bytes(self.records.read_bytes())
        copy.chmod(0)
        name, args = self.rnd.choice([(n, a) for n, a in commands(copy).items() if str(copy) in a])
        done = run(args)
        return crashed(done.returncode, done.stderr) or (
            None if done.returncode == 2 else f"{name} unreadable: exit {done.returncode}"
        )

    def signal_mid_write(self) -> str | None:
        target = self.work / "out.csv"
        target.write_bytes(b"old\n")
        sig = self.rnd.choice([signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT])
        proc = subprocess.Popen(
            [*COMMAND, "eval", str(POLICY), str(self.records), "-o", str(target)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(self.rnd.uniform(0, 3.0))
        proc.send_signal(sig)
        err = proc.communicate(timeout=600)[1]
        left = sorted(p.name for p in self.work.iterdir() if p.name.startswith(".out.csv."))
        data = target.read_bytes()
        problem = crashed(proc.returncode, err)
        if left:
            problem = f"{sig.name}: temporary file left: {left}"
        elif data != b"old\n" and not (data.startswith(HEADER) and data.endswith(b"\n")):
            problem = f"{sig.name}: output neither old nor complete ({len(data)} bytes)"
        target.unlink()
        return problem

    def special_target(self) -> str | None:
        kind = self.rnd.choice(
            ["fifo", "devnull", "symlink", "hardlink", "records", "policy", "readonly", "dir"]
        )
        records = self.work / "in.csv"
        records.write_bytes(self.records.read_bytes())
        before = digest(records), digest(POLICY)
        target: Path | str = self.work / "t.csv"
        reader: threading.Thread | None = None
        expect_refused = kind in ("hardlink", "records", "policy", "readonly", "dir")
        if kind == "fifo":
            os.mkfifo(target)
            got: list[bytes] = []
            fifo = target

            def read() -> None:
                with open(fifo, "rb") as f:
                    got.append(f.read())

            reader = threading.Thread(target=read)
            reader.start()
        elif kind == "devnull":
            target = "/dev/null"
        elif kind == "symlink":
            (self.work / "real.csv").write_bytes(b"old\n")
            Path(target).symlink_to("real.csv")
        elif kind == "hardlink":
            os.link(records, target)
        elif kind == "records":
            target = records
        elif kind == "policy":
            target = POLICY
        elif kind == "readonly":
            Path(target).write_bytes(b"old\n")
            Path(target).chmod(0o444)
        elif kind == "dir":
            target = self.work
        done = run(["eval", str(POLICY), str(records), "--format", "csv", "-o", str(target)])
        if reader is not None:
            reader.join(timeout=60)
        problem = crashed(done.returncode, done.stderr)
        if (digest(records), digest(POLICY)) != before:
            problem = f"-o {kind}: an input changed"
        elif expect_refused and done.returncode != 2:
            problem = f"-o {kind}: not refused (exit {done.returncode})"
        elif not expect_refused and done.returncode != 0:
            problem = f"-o {kind}: exit {done.returncode}: {done.stderr[-200:]!r}"
        elif kind == "symlink" and not (
            Path(target).is_symlink() and (self.work / "real.csv").read_bytes().startswith(HEADER)
        ):
            problem = "-o symlink: link replaced or target not written"
        elif kind == "fifo" and not stat_is_fifo(Path(target)):
            problem = "-o fifo: replaced by a file"
        elif kind == "devnull" and os.path.isfile("/dev/null"):
            problem = "-o /dev/null: replaced by a file"
        for p in self.work.iterdir():
            if p.is_symlink() or p.is_file() or stat_is_fifo(p):
                p.chmod(0o644) if not p.is_symlink() and not stat_is_fifo(p) else None
                p.unlink()
        return problem


def stat_is_fifo(p: Path) -> bool:
    import stat

    try:
        return stat.S_ISFIFO(os.lstat(p).st_mode)
    except FileNotFoundError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rows", type=int, default=50_000, help="rows of the signal cases")
    opts = parser.parse_args()
    rnd = random.Random(opts.seed)
    with tempfile.TemporaryDirectory(prefix="policyc-fuzz-env-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        big = Path(tmp) / "big.csv"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "gen_cs_levels.py"), str(opts.rows), str(big)],
            check=True,
        )
        small = ROOT / "examples" / "cs_levels_2021" / "records.csv"
        counts: Counter[str] = Counter()
        problems: list[str] = []
        for i in range(opts.count):
            kind = rnd.choice(["stdout", "unreadable", "signal", "target"])
            case = Case(rnd, work, big if kind == "signal" else small)
            act: Callable[[], str | None] = {
                "stdout": case.stdout_fault,
                "unreadable": case.unreadable,
                "signal": case.signal_mid_write,
                "target": case.special_target,
            }[kind]
            problem = act()
            counts[kind] += 1
            if problem:
                problems.append(f"case {i} ({kind}): {problem}")
                print(problems[-1], flush=True)
    print(f"{opts.count} cases ({dict(counts)}), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
