"""The program that runs a participant's model, inside the sandbox.

    python -m workers.inference_child --task TASK --model model/ --inputs inputs/ --output out/predictions.csv

It sees only the model's package (the folder `workers.runtime.package` laid out) and the
competition's test inputs, never the truth. It loads the model with the module for its format,
runs the task's adapter, and writes predictions in the task's submission format. It reports on
its own channel, the file descriptor in `PODIUM_REPORT_FD` (stdout when unset):
`PROGRESS done total` as batches finish, `LOADED seconds` once the model is loaded,
`DONE items seconds` at the end, and on a failure `ERROR {"code", "message"}`, then exits 3.
What the model itself prints goes to stdout, which the worker keeps as the team's log and
never interprets. No Django, no database.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import TextIO

from workers.runtime import MODEL_ERROR, ModelFailure, RunOptions, last_line
from workers.runtime.adapters import ADAPTERS, adapter_for
from workers.runtime.formats import load_model


def _report_channel() -> TextIO:
    fd = os.environ.get("PODIUM_REPORT_FD", "")
    return os.fdopen(int(fd), "w", buffering=1, closefd=False) if fd.isdigit() else sys.stdout


REPORTS = _report_channel()


def report(line: str) -> None:
    REPORTS.write(line + "\n")
    REPORTS.flush()


class Progress:
    """Counts the items done (for the closing DONE line) and reports each step."""

    def __init__(self) -> None:
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        report(f"PROGRESS {done} {total}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", required=True, choices=sorted(ADAPTERS))
    parser.add_argument("--model", type=Path, required=True, help="the package folder")
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--classes", default="[]")
    parser.add_argument("--manifest", default="{}", help="the package's validated podium.yaml, as JSON")
    parser.add_argument("--settings", default="{}", help="the competition's model settings, as JSON")
    parser.add_argument("--gpu-memory-fraction", type=float, default=0.0)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    if args.device.startswith("cuda") and args.gpu_memory_fraction:
        import torch

        torch.cuda.set_per_process_memory_fraction(args.gpu_memory_fraction, torch.device(args.device))
    started = time.monotonic()
    model = load_model(args.model, args.device)
    seconds = time.monotonic() - started
    report(f"LOADED {seconds:.3f}")
    print(f"podium: {model.format} model loaded in {seconds:.2f} s, running on {model.runs_on}", file=sys.stderr, flush=True)
    options = RunOptions(batch_size=args.batch_size, classes=json.loads(args.classes),
                         manifest=json.loads(args.manifest), settings=json.loads(args.settings))
    progress, started = Progress(), time.monotonic()
    adapter_for(args.task)(model, args.inputs, args.output, options, progress)
    report(f"DONE {progress.done} {time.monotonic() - started:.3f}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except ModelFailure as failure:
        report("ERROR " + json.dumps({"code": failure.code, "message": failure.message}))
        return 3
    except Exception as exc:  # noqa: BLE001 - reported to the participant, never raised into the worker
        traceback.print_exc()
        message = f"Inference failed: {type(exc).__name__}: {last_line(str(exc))}"
        report("ERROR " + json.dumps({"code": MODEL_ERROR, "message": message}))
        return 3
    return 0


if __name__ == "__main__":
    status = main()
    # Leave without the interpreter's teardown: the outputs are written and reported by now, and a native
    # library's threads (torch's inter-op pool after torch.jit.fork, say) can abort a process as it unwinds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
