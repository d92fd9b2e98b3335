"""Run every benchmark and print its table: `make bench`
(or `python bench/run.py [latency|scoring|inference|runtime|sandbox|programs|boards|forum|load|slow]`)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boards  # noqa: E402
import forum  # noqa: E402
import inference  # noqa: E402
import latency  # noqa: E402
import load  # noqa: E402
import programs  # noqa: E402
import runtime_overhead  # noqa: E402
import sandbox_cost  # noqa: E402
import scoring_speed  # noqa: E402
import slow_clients  # noqa: E402


def main(argv: list[str]) -> None:
    chosen = set(argv) or {"latency", "scoring", "inference", "runtime", "sandbox", "programs", "boards", "forum", "load", "slow"}
    if "scoring" in chosen:
        scoring_speed.main()
    if "inference" in chosen:
        inference.main([])
    if "runtime" in chosen:
        runtime_overhead.main()
    if "sandbox" in chosen:
        sandbox_cost.main()
    if "programs" in chosen:
        programs.main()
    if "latency" in chosen:
        latency.main()
    if "boards" in chosen:
        boards.main()
    if "forum" in chosen:
        forum.main()
    if "load" in chosen:
        load.main([])
    if "slow" in chosen:
        slow_clients.main()


if __name__ == "__main__":
    main(sys.argv[1:])
