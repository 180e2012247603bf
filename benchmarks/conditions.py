"""What every benchmark prints beside its figures: the conditions it ran under.

A figure measured on a shared two-core machine means little without the load it met, so
each benchmark prints `conditions()` at its start and end. `busy(n)` starts `n` CPU-bound
processes for the "beside another process" runs, and stops them when done.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: A process that does nothing but compute: the competitor in "beside a CPU-bound process".
_SPIN = "import itertools\nfor _ in itertools.count(): pass\n"


def conditions(note: str = "") -> str:
    """One line: load averages (1, 5, 15 minutes), CPU count, and what ran beside."""
    one, five, fifteen = os.getloadavg()
    beside = f"; {note}" if note else ""
    return (
        f"[conditions: load average {one:.2f} / {five:.2f} / {fifteen:.2f}, "
        f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}{beside}]"
    )


@contextmanager
def busy(processes: int) -> Iterator[str]:
    """Run `processes` CPU-bound processes for the duration; yields a description."""
    spinners = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(processes)]
    try:
        yield (
            f"beside {processes} CPU-bound process{'es' if processes != 1 else ''}"
            if processes
            else "alone"
        )
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
