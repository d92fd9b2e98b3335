"""The text-classification demo: headlines whose topic is learnable from their words."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scoring.demos import Bundle, write_meta, write_rows

TOPICS: dict[str, list[str]] = {
    "sports": ["match", "goal", "coach", "league", "striker", "season", "stadium", "referee", "tournament", "score"],
    "technology": ["software", "chip", "laptop", "startup", "algorithm", "cloud", "battery", "robot", "network", "update"],
    "food": ["recipe", "kitchen", "flavor", "chef", "dessert", "spice", "bakery", "noodles", "harvest", "menu"],
    "travel": ["flight", "hotel", "beach", "passport", "museum", "island", "luggage", "itinerary", "train", "tourist"],
}
FILLER = ["the", "a", "new", "local", "big", "quiet", "today", "after", "really", "every", "our", "their", "this"]
TEMPLATES = [
    "{a} {f} {b} was all anyone talked about near the {c}",
    "why the {a} and the {b} matter more than the {c}",
    "{f} {a} meets {b}: what it means for the {c}",
    "notes on a {a}, a {b} and one {c}",
    "is the {a} {f} enough to save the {c}",
]


def _sentence(rng: np.random.Generator, topic: str, noise: float) -> str:
    words = []
    for _ in range(3):
        # Some words come from another topic, so the task is not trivially separable.
        source = topic if rng.random() > noise else rng.choice(list(TOPICS))
        words.append(rng.choice(TOPICS[source]))
    template = rng.choice(TEMPLATES)
    return template.format(a=words[0], b=words[1], c=words[2], f=rng.choice(FILLER))


def text_classification_bundle(
    folder: Path, *, slug: str = "topic-detective", n_train: int = 2000, n_test: int = 1000, seed: int = 7
) -> Bundle:
    rng = np.random.default_rng(seed)
    classes = sorted(TOPICS)
    folder = Path(folder)
    public = folder / "public"
    public.mkdir(parents=True, exist_ok=True)
    train_labels = rng.choice(classes, size=n_train)
    test_labels = rng.choice(classes, size=n_test)
    train_text = [_sentence(rng, str(label), noise=0.25) for label in train_labels]
    test_text = [_sentence(rng, str(label), noise=0.25) for label in test_labels]
    test_ids = [f"t{index:05d}" for index in range(n_test)]
    usage = np.where(rng.random(n_test) < 0.4, "Public", "Private")
    write_rows(public / "train.csv", ["id", "text", "label"],
           [(f"r{i:05d}", text, label) for i, (text, label) in enumerate(zip(train_text, train_labels))])
    write_rows(public / "test.csv", ["id", "text"], list(zip(test_ids, test_text)))
    write_rows(folder / "truth.csv", ["id", "label", "Usage"], list(zip(test_ids, test_labels, usage)))
    write_rows(public / "sample_submission.csv", ["id", "label"], [(i, classes[0]) for i in test_ids])
    write_meta(
        folder, slug=slug, title="Topic Detective", task="text-classification", classes=classes,
        subtitle="Tell sports from technology, food and travel in short headlines",
        overview=("## Which topic is this headline about?\n\n"
                  f"Each row of `test.csv` is a short headline about one of {len(classes)} topics: "
                  f"{', '.join(classes)}. Headlines borrow words from other topics now and then, so a keyword list "
                  "only gets you so far.\n\n`train.csv` has labelled examples. Predict a label for every id of `test.csv`."),
    )
    return Bundle(path=folder, baselines=_text_baselines(folder, rng, test_ids, test_text, classes))


def _text_baselines(
    folder: Path, rng: np.random.Generator, ids: list[str], texts: list[str], classes: list[str]
) -> dict[str, Path]:
    baselines = folder / "baselines"
    baselines.mkdir(exist_ok=True)
    vocabulary = {word: topic for topic, words in TOPICS.items() for word in words}

    def keyword_vote(text: str) -> str:
        votes = [vocabulary[w] for w in text.split() if w in vocabulary]
        # Sorted first: ties break the same way in every process (set order depends on the hash seed).
        return max(sorted(set(votes)), key=votes.count) if votes else classes[0]

    predictions = {
        "Keyword Voters": [keyword_vote(text) for text in texts],
        "First Word Wins": [next((vocabulary[w] for w in t.split() if w in vocabulary), classes[0]) for t in texts],
        "Coin Flippers": [str(rng.choice(classes)) for _ in texts],
    }
    files = {}
    for team, labels in predictions.items():
        path = baselines / f"{team.lower().replace(' ', '_')}.csv"
        write_rows(path, ["id", "label"], list(zip(ids, labels)))
        files[team] = path
    return files
