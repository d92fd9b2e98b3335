"""A small BERT fine-tuned with Hugging Face transformers, exported to ONNX with its tokenizer.json.

    pip install -e '.[examples]'            # transformers (not a platform dependency)
    podium config --host http://127.0.0.1:8000 --username alice
    python examples/bert_onnx.py --slug topic-detective

The tokenizer is a BERT WordPiece trained here on train.csv with the `tokenizers` library and the
model is a BERT initialised from a small config, so nothing is downloaded; with a checkpoint of
your own, `BertForSequenceClassification.from_pretrained(...)` and its tokenizer's
`backend_tokenizer.save("tokenizer.json")` go through the same export. The upload is a zip of
`model.onnx`, `tokenizer.json` and `podium.yaml` (max_length); Podium tokenizes, feeds
`input_ids` and `attention_mask` by name and reads `[N, C]` logits in the competition's class order.
"""
from __future__ import annotations

import csv
import sys
import warnings
import zipfile
from pathlib import Path

import torch

MAX_LENGTH = 64


def train_tokenizer(texts: list[str], path: Path) -> Path:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=2000, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"]))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tokenizer.token_to_id("[CLS]")), ("[SEP]", tokenizer.token_to_id("[SEP]"))])
    tokenizer.save(str(path))
    return path


class Logits(torch.nn.Module):
    """The classifier as ONNX sees it: token ids and mask in, logits out (not a ModelOutput)."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.bert(input_ids=input_ids, attention_mask=attention_mask).logits


def fine_tune(data: Path, classes: list[str], tokenizer_path: Path, epochs: int = 3) -> torch.nn.Module:
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertForSequenceClassification

    with open(data / "train.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=MAX_LENGTH)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128, max_position_embeddings=MAX_LENGTH, num_labels=len(classes))
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    labels = torch.tensor([classes.index(row["label"]) for row in rows])
    for epoch in range(epochs):
        order = torch.randperm(len(rows))
        for start in range(0, len(rows), 32):
            batch = order[start:start + 32].tolist()
            encodings = tokenizer.encode_batch([rows[i]["text"] for i in batch])
            ids = torch.tensor([e.ids for e in encodings])
            mask = torch.tensor([e.attention_mask for e in encodings])
            loss = model(input_ids=ids, attention_mask=mask, labels=labels[batch]).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}")
    return model.eval()


def export(model: torch.nn.Module, path: Path) -> Path:
    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Logits(model).eval(), example, str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                        "logits": {0: "batch"}})
    return path


def package(data: Path, competition: dict, folder: Path) -> Path:
    with open(data / "train.csv", newline="", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    tokenizer = train_tokenizer(texts, folder / "tokenizer.json")
    onnx_path = export(fine_tune(data, competition["classes"], tokenizer), folder / "model.onnx")
    upload = folder / "bert.zip"
    with zipfile.ZipFile(upload, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(onnx_path, "model.onnx")
        archive.write(tokenizer, "tokenizer.json")
        archive.writestr("podium.yaml", f"max_length: {MAX_LENGTH}\n")
    return upload


if __name__ == "__main__":
    from examples._submit import run_package

    sys.exit(run_package("Fine-tune a small BERT, export it to ONNX and submit it with its tokenizer.", "topic-detective",
                         package, "bert.zip"))
