"""CPU time of short `postlive` commands: what an operator waits for at every prompt.

    .venv/bin/python benchmarks/cli_startup.py [--runs 15]

Each command runs `--runs` times as a child process; the figure is the child's own CPU
time (user + sys, from os.wait4), which a loaded machine inflates far less than wall
time. Prints the median and the worst run per command and, as a baseline measured in the
same run, a bare `python -c pass` (the interpreter's own start), with the ratio to it.
`campaign list` runs against a fresh SQLite file migrated once before timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTLIVE = [sys.executable, "-c", "from bot.cli import main; main()"]

COMMANDS: dict[str, list[str]] = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "postlive --help": [*POSTLIVE, "--help"],
    "postlive flows check": [*POSTLIVE, "flows", "check"],
    "postlive campaign list": [*POSTLIVE, "campaign", "list"],
}


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """User + sys CPU of one child run; fails loudly if the command fails."""
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} failed: {child.stderr.read().decode()}")  # type: ignore[union-attr]
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        env.pop("FLOWS_DIR", None)
        cpu_seconds([*POSTLIVE, "db", "upgrade"], env)  # migrate once, outside the timing
        print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs, {args.runs} runs each")
        print(f"{'command':32} {'median CPU s':>13} {'worst':>8} {'x baseline':>11}")
        baseline = None
        for name, argv in COMMANDS.items():
            runs = [cpu_seconds(argv, env) for _ in range(args.runs)]
            median = statistics.median(runs)
            baseline = baseline or median
            print(f"{name:32} {median:13.3f} {max(runs):8.3f} {median / baseline:11.1f}")
        print(f"load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()
