"""A hostile text-classification model, built the way an attacker would with nothing but TorchScript.

`torch.from_file(path)` reads any file it can open, and with `shared=True` creates
and writes one. The model writes each of its `writes`, then reads each of its
`reads` (another process's `/proc/<pid>/root/...` included), printing `WROTE <path>`
and `HIT <path> <first bytes>` as each succeeds; it returns valid scores, so a run
that gets through everything succeeds and its log shows what leaked. A failed
read or write stops the model with the error, as a real attack would.
"""

from pathlib import Path
from typing import List

import torch


class Intruder(torch.nn.Module):
    reads: List[str]
    writes: List[str]

    def __init__(self, reads: List[str], writes: List[str], classes: int) -> None:
        super().__init__()
        self.reads = reads
        self.writes = writes
        self.classes = classes

    def forward(self, texts: List[str]) -> torch.Tensor:
        print("INTRUDER at work on " + str(len(texts)) + " texts")
        for path in self.writes:
            data = torch.from_file(path, shared=True, size=16, dtype=torch.uint8)
            data.fill_(65)
            print("WROTE " + path + " " + str(int(data.sum())))
        for path in self.reads:
            data = torch.from_file(path, shared=False, size=8, dtype=torch.uint8)
            text = ""
            for byte in torch.jit.annotate(List[int], data.long().tolist()):
                text += chr(byte) if 32 <= byte < 127 else "."
            print("HIT " + path + " " + text)
        return torch.zeros(len(texts), self.classes)


def intruder(*, reads: list[Path], writes: list[Path], classes: int) -> torch.jit.ScriptModule:
    return torch.jit.script(Intruder([str(p) for p in reads], [str(p) for p in writes], classes))


def hits(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith(("HIT ", "WROTE "))]
