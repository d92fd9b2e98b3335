"""Text classification: `test.csv` (id,text) in, `id,label` out (the argmax over the classes).

Two contracts. A TorchScript `forward(texts: List[str]) -> [N, C]`. Or a model taking token ids
with the package's Hugging Face `tokenizer.json`: Podium tokenizes (truncating to the smallest of
the manifest's `max_length`, the competition's and the model's fixed length), pads each batch,
and feeds `input_ids`, `attention_mask` and, where the model declares it, `token_type_ids`, by
name. Texts are batched by length, so little of each batch is padding.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from workers.runtime import MODEL_ERROR, ModelFailure, Progress, RunOptions
from workers.runtime.adapters import batch_size, batches
from workers.runtime.package import TOKENIZER

TOKEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
DEFAULT_MAX_LENGTH = 512


def run(model: Any, inputs: Path, output: Path, options: RunOptions, progress: Progress) -> None:
    with open(inputs / "test.csv", newline="", encoding="utf-8-sig") as handle:
        rows = [(row["id"], row["text"]) for row in csv.DictReader(handle)]
    texts = [text for _, text in rows]
    tokenizer = model_folder(model) / TOKENIZER
    if model.inputs and model.inputs[0].kind == "texts":
        scores = _scores_from_texts(model, texts, options, progress)
    elif tokenizer.is_file():
        scores = _scores_from_tokens(model, tokenizer, texts, options, progress)
    else:
        raise ModelFailure(MODEL_ERROR, (
            f"The {model.format} model takes {', '.join(i.name for i in model.inputs)[:80]}, not texts, and the submission "
            "has no tokenizer.json: submit a zip holding the model and its Hugging Face tokenizer.json."))
    labels = [options.classes[i] for i in scores]
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "label"])
        writer.writerows((row_id, label) for (row_id, _), label in zip(rows, labels))


def model_folder(model: Any) -> Path:
    return Path(getattr(model, "folder", "."))


def _scores_from_texts(model: Any, texts: list[str], options: RunOptions, progress: Progress) -> list[int]:
    chosen: list[int] = []
    for batch in batches(texts, batch_size(model, options.batch_size)):
        chosen.extend(_argmax(model(batch), len(batch), options))
        progress(len(chosen), len(texts))
    return chosen


def _scores_from_tokens(model: Any, path: Path, texts: list[str], options: RunOptions, progress: Progress) -> list[int]:
    names = [spec.name for spec in model.inputs]
    unknown = [name for name in names if name not in TOKEN_INPUTS]
    if unknown or "input_ids" not in names:
        raise ModelFailure(MODEL_ERROR, (
            f"The model's inputs are {', '.join(names)[:120]}; a model with a tokenizer takes input_ids, attention_mask "
            "and, optionally, token_type_ids."))
    fixed = _fixed_length(model)
    encodings, pad_id = _tokenize(path, texts, _max_length(fixed, options))
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    chosen = [0] * len(texts)
    done = 0
    for batch in batches(order, batch_size(model, options.batch_size)):
        arrays = _pad([encodings[i] for i in batch], fixed, pad_id)
        outputs = model(*(arrays[name] for name in names))
        for index, label in zip(batch, _argmax(outputs, len(batch), options)):
            chosen[index] = label
        done += len(batch)
        progress(done, len(texts))
    return chosen


def _tokenize(path: Path, texts: list[str], max_length: int) -> tuple[list[Any], int]:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # noqa: BLE001 - the participant's tokenizer.json
        raise ModelFailure(MODEL_ERROR, f"tokenizer.json could not be loaded with the tokenizers library: {str(exc)[:200]}") from None
    pad_id = _pad_id(tokenizer)
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer.encode_batch(texts), pad_id


def _max_length(fixed: int | None, options: RunOptions) -> int:
    limits = [options.settings.get("max_length", DEFAULT_MAX_LENGTH)]
    if "max_length" in options.manifest:
        limits.append(options.manifest["max_length"])
    if fixed:
        limits.append(fixed)
    return int(min(limits))


def _fixed_length(model: Any) -> int | None:
    shape = model.inputs[0].shape
    return shape[1] if shape and len(shape) == 2 and shape[1] else None


def _pad_id(tokenizer: Any) -> int:
    padding = tokenizer.padding
    if padding and isinstance(padding.get("pad_id"), int):
        return int(padding["pad_id"])
    for token in ("[PAD]", "<pad>"):
        found = tokenizer.token_to_id(token)
        if found is not None:
            return int(found)
    return 0


def _pad(encodings: list[Any], fixed: int | None, pad_id: int) -> dict[str, np.ndarray]:
    length = fixed or max(1, max(len(e.ids) for e in encodings))
    arrays = {"input_ids": np.full((len(encodings), length), pad_id, dtype=np.int64),
              "attention_mask": np.zeros((len(encodings), length), dtype=np.int64),
              "token_type_ids": np.zeros((len(encodings), length), dtype=np.int64)}
    for row, encoding in enumerate(encodings):
        n = len(encoding.ids)
        arrays["input_ids"][row, :n] = encoding.ids
        arrays["attention_mask"][row, :n] = encoding.attention_mask
        arrays["token_type_ids"][row, :n] = encoding.type_ids
    return arrays


def _argmax(outputs: Any, n: int, options: RunOptions) -> list[int]:
    scores = _logits(outputs)
    classes = len(options.classes)
    if not isinstance(scores, np.ndarray) or scores.shape != (n, classes):
        shape = list(scores.shape) if isinstance(scores, np.ndarray) else type(scores).__name__
        raise ModelFailure(MODEL_ERROR, (
            f"The model returned {shape}; expected scores of shape [{n}, {classes}] "
            "(one per class, in the competition's class order)."))
    return scores.argmax(axis=1).tolist()


def _logits(outputs: Any) -> Any:
    """The scores among what a model returns: a tensor, the first of a tuple or list, or `logits` of a dict."""
    if isinstance(outputs, dict):
        return outputs.get("logits")
    if isinstance(outputs, (list, tuple)) and outputs:
        return outputs[0]
    return outputs


def probe(inputs: Path, classes: list[str]) -> Any:
    """Token ids and a mask in, [N, C] scores out (mean embeddings), with a word-level tokenizer.json of test.csv."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers

    from workers.runtime.adapters import Probe

    with open(inputs / "test.csv", newline="", encoding="utf-8-sig") as handle:
        words = sorted({w for row in csv.DictReader(handle) for w in row["text"].split()})
    vocabulary = {"[PAD]": 0, "[UNK]": 1, **{w: i + 2 for i, w in enumerate(words)}}
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()

    class MeanEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(len(vocabulary), len(classes))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            mask = attention_mask.unsqueeze(-1).float()
            return (self.embedding(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    example = (torch.ones(2, 8, dtype=torch.int64), torch.ones(2, 8, dtype=torch.int64))
    return Probe(MeanEmbedding(), example, ["input_ids", "attention_mask"], ["logits"],
                 {TOKENIZER: tokenizer.to_str().encode()})
