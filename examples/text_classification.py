"""A bag-of-words linear classifier for text classification, trained with plain torch.

    podium config --host http://127.0.0.1:8000 --username alice
    python examples/text_classification.py --slug topic-detective

Contract (SPEC section 3): forward(texts: List[str]) -> Tensor[N, C], scores in
the order of the competition's `classes`.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Dict, List

import torch


class BagOfWords(torch.nn.Module):
    def __init__(self, vocabulary: Dict[str, int], n_classes: int) -> None:
        super().__init__()
        self.vocabulary = vocabulary
        self.linear = torch.nn.Linear(len(vocabulary), n_classes)

    def counts(self, texts: List[str]) -> torch.Tensor:
        # On the weights' device: the model may run on a GPU.
        counts = torch.zeros(len(texts), len(self.vocabulary), device=self.linear.weight.device)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                column = self.vocabulary.get(word, -1)
                if column >= 0:
                    counts[row, column] += 1.0
        return counts

    def forward(self, texts: List[str]) -> torch.Tensor:
        return self.linear(self.counts(texts))


def build(data: Path, competition: dict) -> torch.jit.ScriptModule:
    """Train on train.csv (id,text,label); classes in the competition's order."""
    classes: list[str] = competition["classes"]
    with open(data / "train.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    words = sorted({w for row in rows for w in row["text"].lower().split()})
    model = BagOfWords({w: i for i, w in enumerate(words)}, len(classes))
    features = model.counts([row["text"] for row in rows])
    targets = torch.tensor([classes.index(row["label"]) for row in rows])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    torch.manual_seed(0)
    for _ in range(200):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model.linear(features), targets)
        loss.backward()
        optimizer.step()
    return torch.jit.script(model.eval())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _submit import run

    sys.exit(run(__doc__.splitlines()[0], "topic-detective", build))
