"""Run one measured child process: wall time, CPU time and peak RSS of that child alone.

Every measurement of bench/run.py happens in a child process, syndicate's and the baselines'
alike, so each gets its own peak RSS (`ru_maxrss` from wait4 is per child, where
getrusage(RUSAGE_CHILDREN) would be the maximum over all children so far). A child's
figure starts from the bench process's own resident size at spawn (Linux carries the
high-water mark across exec), so the bench process must stay small: run.py prints its peak,
the floor under every RSS in the table.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall clock, from spawn to exit
    cpu: float  # user + system seconds of the child
    rss_mb: float  # peak resident set of the child, MiB
    stdout: str
    stderr: str
    returncode: int

    def json(self) -> dict:
        """The JSON object a bench worker printed on its last stdout line."""
        return json.loads(self.stdout.strip().splitlines()[-1])


class ChildFailed(RuntimeError):
    pass


def run_child(
    argv: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    ok_codes: tuple[int, ...] = (0,),
) -> Measured:
    """Run argv to completion; raise ChildFailed (with its stderr) on an unexpected exit code."""
    full_env = {**os.environ, **(env or {})}
    with open(os.devnull, "rb") as devnull:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=full_env,
            stdin=devnull,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # communicate() would reap the child and lose its rusage: drain, then wait4.
        out, err = _drain(proc)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok_codes:
        raise ChildFailed(
            f"{' '.join(map(str, argv))} exited {proc.returncode}:\n{err[-3000:]}\n{out[-2000:]}"
        )
    return Measured(
        seconds=seconds,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        stdout=out,
        stderr=err,
        returncode=proc.returncode,
    )


def _drain(proc: subprocess.Popen) -> tuple[str, str]:
    """Read stdout and stderr to EOF without reaping the child (so wait4 still can)."""
    import selectors

    sel = selectors.DefaultSelector()
    chunks: dict[int, list[bytes]] = {1: [], 2: []}
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, 1)
    sel.register(proc.stderr, selectors.EVENT_READ, 2)
    while sel.get_map():
        for key, _ in sel.select():
            data = os.read(key.fd, 65536)
            if not data:
                sel.unregister(key.fileobj)
                continue
            chunks[key.data].append(data)
    proc.stdout.close()
    proc.stderr.close()
    return (
        b"".join(chunks[1]).decode("utf-8", "replace"),
        b"".join(chunks[2]).decode("utf-8", "replace"),
    )


def python_child(module: str, *args: object, **kwargs) -> Measured:
    """`python -m bench.<module> args…` from the repository root (a bench worker)."""
    argv = [sys.executable, "-m", f"bench.{module}", *map(str, args)]
    return run_child(argv, cwd=REPO, **kwargs)


def best_of(times: int, argv: list[str], **kwargs) -> Measured:
    """The fastest of `times` runs: on a shared, noisy machine the minimum is the least noisy
    estimate of a short command's cost."""
    return min((run_child(argv, **kwargs) for _ in range(times)), key=lambda m: m.seconds)


def best_of_alternating(times: int, *commands: tuple[list[str], dict]) -> list[Measured]:
    """The fastest of `times` runs of each (argv, run_child kwargs), run in turns: on a
    machine whose speed drifts over minutes, commands compared in a ratio then see the same
    moments instead of one of them a slower stretch."""
    best: list[Measured | None] = [None] * len(commands)
    for _ in range(times):
        for i, (argv, kwargs) in enumerate(commands):
            measured = run_child(argv, **kwargs)
            if best[i] is None or measured.seconds < best[i].seconds:  # type: ignore[union-attr]
                best[i] = measured
    return best  # type: ignore[return-value]


def own_peak_mb() -> float:
    """Peak resident set of this (the bench's) process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
