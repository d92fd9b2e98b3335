"""The tabular demos: house prices from a few features (regression) and the plan a customer picks (three classes).

Features are numbers with a few missing cells (empty in `test.csv`), as in most Kaggle tables; the
targets follow them with noise, so a gradient-boosted model beats a linear one, which beats the mean.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scoring.demos import Bundle, write_meta, write_rows

HOUSE_FEATURES = ["area_m2", "rooms", "age_years", "distance_km", "garden_m2"]
PLAN_FEATURES = ["monthly_visits", "team_size", "storage_gb", "support_calls", "tenure_months"]
PLANS = ["basic", "plus", "pro"]
MISSING = 0.03  # the share of feature cells left empty


def _cells(features: np.ndarray, rng: np.random.Generator) -> list[list[str]]:
    """Feature rows as CSV cells, a few of them empty (missing values)."""
    missing = rng.random(features.shape) < MISSING
    return [["" if gone else f"{value:.6g}" for value, gone in zip(row, holes)] for row, holes in zip(features, missing)]


def _houses(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    area = rng.gamma(9.0, 12.0, n) + 20
    rooms = np.clip(np.round(area / 25 + rng.normal(0, 0.7, n)), 1, 9)
    age = rng.uniform(0, 80, n)
    distance = rng.exponential(8.0, n)
    garden = np.where(rng.random(n) < 0.4, 0.0, rng.gamma(2.0, 60.0, n))
    price = (1800 * area + 9000 * rooms - 650 * age - 30000 * np.log1p(distance) + 120 * np.sqrt(garden) * 40
             + 25000 * (age > 60) * (area > 120))
    price = np.maximum(20000.0, price * np.exp(rng.normal(0, 0.08, n)))
    return np.column_stack([area, rooms, age, distance, garden]), np.round(price, 0)


def regression_bundle(folder: Path, *, slug: str = "house-prices-lite", n_train: int = 1200, n_test: int = 600,
                      seed: int = 13) -> Bundle:
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    public = folder / "public"
    public.mkdir(parents=True, exist_ok=True)
    train_x, train_y = _houses(rng, n_train)
    test_x, test_y = _houses(rng, n_test)
    test_ids = [f"h{index:05d}" for index in range(n_test)]
    usage = np.where(np.arange(n_test) % 3 == 0, "Public", "Private")
    write_rows(public / "train.csv", ["id", *HOUSE_FEATURES, "target"],
               [(f"r{i:05d}", *cells, f"{y:.0f}") for i, (cells, y) in enumerate(zip(_cells(train_x, rng), train_y))])
    write_rows(public / "test.csv", ["id", *HOUSE_FEATURES], [(i, *cells) for i, cells in zip(test_ids, _cells(test_x, rng))])
    write_rows(folder / "truth.csv", ["id", "target", "Usage"], [(i, f"{y:.0f}", u) for i, y, u in zip(test_ids, test_y, usage)])
    write_rows(public / "sample_submission.csv", ["id", "target"], [(i, "0") for i in test_ids])
    write_meta(folder, slug=slug, title="House Prices Lite", task="tabular-regression",
               subtitle="Price a house from five numbers",
               overview=("## What is this house worth?\n\nEach row of `test.csv` is a house: its area, rooms, age, "
                         "distance to the centre and garden. Predict its sale price. `train.csv` has the prices of "
                         "other houses; a few cells are missing (empty), as in real listings.\n\n"
                         "Ranked by RMSE; MAE, RMSLE and R² are shown beside it."))
    (folder / "rules.md").write_text("1. One account per person.\n2. No external price data.\n")
    baselines = folder / "baselines"
    baselines.mkdir(exist_ok=True)
    filled_train, filled_test = np.nan_to_num(train_x), np.nan_to_num(test_x)
    design = np.column_stack([filled_train, np.ones(n_train)])
    weights = np.linalg.lstsq(design, train_y, rcond=None)[0]
    predictions = {
        "Linear Leaners": np.column_stack([filled_test, np.ones(n_test)]) @ weights,
        "Area Only": filled_test[:, 0] * float(np.median(train_y / filled_train[:, 0])),
        "Mean Guessers": np.full(n_test, float(np.mean(train_y))),
    }
    files = {}
    for team, values in predictions.items():
        path = baselines / f"{team.lower().replace(' ', '_')}.csv"
        write_rows(path, ["id", "target"], [(i, f"{max(0.0, v):.1f}") for i, v in zip(test_ids, values)])
        files[team] = path
    return Bundle(path=folder, baselines=files)


def _customers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    visits = rng.gamma(3.0, 10.0, n)
    team = np.round(rng.gamma(1.5, 4.0, n)) + 1
    storage = rng.gamma(2.0, 40.0, n)
    calls = rng.poisson(1.5, n).astype(float)
    tenure = rng.uniform(0, 60, n)
    features = np.column_stack([visits, team, storage, calls, tenure])
    logits = np.column_stack([
        np.zeros(n),
        0.04 * visits + 0.15 * team + 0.01 * storage - 2.0,
        0.02 * visits + 0.35 * team + 0.02 * storage + 0.3 * calls + 0.02 * tenure - 6.0,
    ])
    labels = np.argmax(logits + rng.gumbel(0, 1, logits.shape), axis=1)
    return features, labels, logits


def classification_bundle(folder: Path, *, slug: str = "plan-picker", n_train: int = 1200, n_test: int = 600,
                          seed: int = 17) -> Bundle:
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    public = folder / "public"
    public.mkdir(parents=True, exist_ok=True)
    train_x, train_y, _ = _customers(rng, n_train)
    test_x, test_y, test_logits = _customers(rng, n_test)
    test_ids = [f"c{index:05d}" for index in range(n_test)]
    usage = np.where(np.arange(n_test) % 3 == 0, "Public", "Private")
    write_rows(public / "train.csv", ["id", *PLAN_FEATURES, "label"],
               [(f"r{i:05d}", *cells, PLANS[y]) for i, (cells, y) in enumerate(zip(_cells(train_x, rng), train_y))])
    write_rows(public / "test.csv", ["id", *PLAN_FEATURES], [(i, *cells) for i, cells in zip(test_ids, _cells(test_x, rng))])
    write_rows(folder / "truth.csv", ["id", "label", "Usage"], [(i, PLANS[y], u) for i, y, u in zip(test_ids, test_y, usage)])
    write_rows(public / "sample_submission.csv", ["id", *PLANS], [(i, "0.333333", "0.333333", "0.333333") for i in test_ids])
    write_meta(folder, slug=slug, title="Plan Picker", task="tabular-classification", classes=PLANS,
               subtitle="Which plan will a customer choose: basic, plus or pro?",
               overview=("## Basic, plus or pro?\n\nEach row of `test.csv` is a customer: visits a month, team "
                         "size, storage used, support calls and months as a customer. Give the probability of "
                         "each plan they pick. `train.csv` has the plans of other customers.\n\n"
                         "Ranked by log loss (Kaggle's rule); ROC AUC and accuracy are shown beside it."))
    (folder / "rules.md").write_text("1. One account per person.\n2. No hand-labelling of the test set.\n")
    baselines = folder / "baselines"
    baselines.mkdir(exist_ok=True)
    softmax = np.exp(test_logits - test_logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    prior = np.bincount(train_y, minlength=len(PLANS)) / n_train
    predictions = {
        "Calibrated Crew": softmax,
        "Prior Knowledge": np.tile(prior, (n_test, 1)),
        "Overconfident": np.eye(len(PLANS))[np.argmax(test_logits + rng.normal(0, 1.5, test_logits.shape), axis=1)],
    }
    files = {}
    for team, matrix in predictions.items():
        path = baselines / f"{team.lower().replace(' ', '_')}.csv"
        write_rows(path, ["id", *PLANS], [(i, *(f"{p:.6f}" for p in row)) for i, row in zip(test_ids, matrix)])
        files[team] = path
    return Bundle(path=folder, baselines=files)
