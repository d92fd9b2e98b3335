"""Mean average precision at 10 and recall at 10 of recommendations (a Podium scoring program, SPEC section 9).

Reads /input/truth/purchases.csv (user_id,items,Usage: the items each user bought next, space-separated) and the
participant's /input/submission/submission.csv (user_id,items: up to 10 recommended items, best first); writes
/output/scores.json for the Public and the Private users and /output/items.csv with each user's numbers, or
/output/error.json when the file is not one ranked list per user.

AP@k of one user = sum over the first k recommendations of precision@i at each hit, divided by min(k, bought);
MAP@k is its mean over users (as in Kaggle's recommendation competitions).
"""
import csv
import io
import json
import sys

K = 10
TRUTH = "/input/truth/purchases.csv"
SUBMISSION = "/input/submission/submission.csv"


def refuse(code, message):
    with open("/output/error.json", "w") as handle:
        json.dump({"code": code, "message": message[:300]}, handle)
    sys.exit(0)


def average_precision(recommended, bought):
    hits, total = 0, 0.0
    for rank, item in enumerate(recommended[:K], start=1):
        if item in bought:
            hits += 1
            total += hits / rank
    return total / min(K, len(bought)) if bought else 0.0


def read_submission(users):
    try:
        with open(SUBMISSION, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        refuse("not-utf8", "The file is not UTF-8 text.")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != ["user_id", "items"]:
        refuse("bad-header", f"The first line must be user_id,items; it is {','.join(header or [])[:80]!r}.")
    given = {}
    for line, row in enumerate(reader, start=2):
        if len(row) != 2:
            refuse("bad-row", f"Line {line} has {len(row)} fields; each line is user_id,items.")
        user, items = row[0], row[1].split()
        if user in given:
            refuse("duplicate-id", f"User {user[:40]!r} appears twice (line {line}).")
        if user not in users:
            refuse("unknown-ids", f"Line {line}: {user[:40]!r} is not a test user.")
        if len(items) > K:
            refuse("too-many-items", f"Line {line} recommends {len(items)} items; at most {K} count.")
        if len(set(items)) != len(items):
            refuse("duplicate-item", f"Line {line} recommends an item twice.")
        given[user] = items
    missing = [user for user in users if user not in given]
    if missing:
        refuse("missing-ids", f"{len(missing)} test users have no recommendations, such as {missing[0]!r}.")
    return given


def main():
    with open(TRUTH, encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    given = read_submission({row["user_id"] for row in truth})
    sums = {"Public": [0.0, 0.0, 0], "Private": [0.0, 0.0, 0]}
    with open("/output/items.csv", "w", newline="") as handle:
        items = csv.writer(handle)
        items.writerow(["id", "subset", "map_at_10", "recall_at_10"])
        for row in truth:
            bought = set(row["items"].split())
            ap = average_precision(given[row["user_id"]], bought)
            recall = len(bought & set(given[row["user_id"]][:K])) / len(bought)
            total = sums[row["Usage"]]
            total[0] += ap
            total[1] += recall
            total[2] += 1
            items.writerow([row["user_id"], row["Usage"], ap, recall])
    scores = {subset.lower(): {"map_at_10": ap / n, "recall_at_10": recall / n} for subset, (ap, recall, n) in sums.items()}
    with open("/output/scores.json", "w") as handle:
        json.dump(scores, handle)


if __name__ == "__main__":
    main()
