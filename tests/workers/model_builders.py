"""Small real models, built at test time with the real libraries: a WordPiece tokenizer trained
with `tokenizers`, token classifiers exported to ONNX and traced to TorchScript, fixed-size
segmenters and detectors in the layouts the tools export. Nothing is downloaded."""
from __future__ import annotations

import csv
import warnings
import zipfile
from pathlib import Path

import torch

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]


def wordpiece_tokenizer(texts: list[str], path: Path, vocab_size: int = 400) -> Path:
    """A BERT-style tokenizer (lower-casing, accent-stripping WordPiece), saved as tokenizer.json."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIALS))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tokenizer.token_to_id("[CLS]")), ("[SEP]", tokenizer.token_to_id("[SEP]"))])
    tokenizer.save(str(path))
    return path


class TokenClassifier(torch.nn.Module):
    """Embeddings averaged under the attention mask, then a linear layer: BERT's interface, not its size."""

    def __init__(self, vocab: int, classes: int, with_token_types: bool = False) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, 32)
        self.types = torch.nn.Embedding(2, 32) if with_token_types else None
        self.linear = torch.nn.Linear(32, classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.unsqueeze(-1).float()
        pooled = (self.embedding(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.linear(pooled)


class TypedTokenClassifier(TokenClassifier):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(input_ids, attention_mask) + 0.0 * token_type_ids.sum()


def train_token_classifier(public: Path, tokenizer_path: Path, classes: list[str], typed: bool = False) -> TokenClassifier:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    with open(public / "train.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    tokenizer.enable_truncation(max_length=64)
    encodings = tokenizer.encode_batch([row["text"] for row in rows])
    ids = torch.tensor([e.ids for e in encodings])
    mask = torch.tensor([e.attention_mask for e in encodings])
    targets = torch.tensor([classes.index(row["label"]) for row in rows])
    torch.manual_seed(0)
    model = (TypedTokenClassifier if typed else TokenClassifier)(tokenizer.get_vocab_size(), len(classes))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(TokenClassifier.forward(model, ids, mask), targets)
        loss.backward()
        optimizer.step()
    return model.eval()


def export_onnx(model: torch.nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str],
                dynamic: dict[str, dict[int, str]] | None = None) -> Path:
    """torch.onnx.export, the TorchScript-based exporter (the dynamo one needs onnxscript)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, str(path), input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic or {}, dynamo=False, opset_version=17)
    return path


def token_ids_example() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randint(4, 50, (2, 7)), torch.ones(2, 7, dtype=torch.long)


def zip_package(path: Path, files: dict[str, Path | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            archive.writestr(name, source if isinstance(source, bytes) else Path(source).read_bytes())
    return path


class FixedSizeSegmenter(torch.nn.Module):
    """Bright blobs at a fixed input size: local mean brightness above a threshold, as logits."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        grey = images.mean(dim=1, keepdim=True)
        smooth = torch.nn.functional.avg_pool2d(grey, 5, stride=1, padding=2, count_include_pad=False)
        return (smooth - 125 / 255) * 50


class YoloLayoutDetector(torch.nn.Module):
    """A fixed-size model with Ultralytics' raw output [N, 4 + C, A]: one anchor per 8×8 cell.

    Each cell predicts a box centred on itself, 16 pixels wide, scoring its brightness for every
    class: real shapes, decoding and NMS, not a trained detector."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.classes = classes

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        n, _, height, width = images.shape
        cells = torch.nn.functional.avg_pool2d(images.mean(dim=1, keepdim=True), 8)  # [N, 1, H/8, W/8]
        ys = (torch.arange(height // 8, dtype=torch.float32) * 8 + 4).view(1, -1, 1).expand(n, -1, width // 8)
        xs = (torch.arange(width // 8, dtype=torch.float32) * 8 + 4).view(1, 1, -1).expand(n, height // 8, -1)
        size = torch.full_like(xs, 16.0)
        boxes = torch.stack([xs, ys, size, size], dim=1).reshape(n, 4, -1)
        scores = torch.cat([cells * (k + 1) / self.classes for k in range(self.classes)], dim=1).reshape(n, self.classes, -1)
        return torch.cat([boxes, scores.clamp(0, 1)], dim=1)
