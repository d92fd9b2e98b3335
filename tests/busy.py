"""Run a command with CPU-bound processes beside it, as on a busy CI machine: `make test-busy`.

`python tests/busy.py COMMAND…` starts BUSY_PROCESSES (2: this project's machines have 2 cores) processes that
spin on the CPU for as long as COMMAND runs, then exits with COMMAND's status.
"""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys


def _spin() -> None:
    while True:
        pass


def main(command: list[str]) -> int:
    burners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(int(os.environ.get("BUSY_PROCESSES", "2")))]
    for burner in burners:
        burner.start()
    try:
        return subprocess.call(command)
    finally:
        for burner in burners:
            burner.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
