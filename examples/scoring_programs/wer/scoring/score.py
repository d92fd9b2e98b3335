"""Word and character error rates of speech-to-text transcripts (a Podium scoring program, SPEC section 9).

Reads /input/truth/transcripts.csv (id,text,Usage) and the participant's /input/submission/submission.json
({"id": "transcript", ...}); writes /output/scores.json with WER and CER of the Public and the Private
utterances, /output/items.csv with each utterance's numbers, or /output/error.json when the file is not a
transcript of every utterance.
"""
import csv
import json
import sys

from textnorm import normalize
from edits import distance

TRUTH = "/input/truth/transcripts.csv"
SUBMISSION = "/input/submission/submission.json"


def refuse(code, message):
    with open("/output/error.json", "w") as handle:
        json.dump({"code": code, "message": message[:300]}, handle)
    sys.exit(0)


def read_submission(ids):
    try:
        with open(SUBMISSION, encoding="utf-8") as handle:
            given = json.load(handle)
    except UnicodeDecodeError:
        refuse("not-utf8", "The file is not UTF-8 text.")
    except ValueError as exc:
        refuse("bad-json", f"The file is not JSON ({exc}); submit {{\"utterance id\": \"transcript\", ...}}.")
    if not isinstance(given, dict):
        refuse("bad-json", 'Submit one JSON object: {"utterance id": "transcript", ...}.')
    missing = [i for i in ids if i not in given]
    if missing:
        refuse("missing-ids", f"{len(missing)} utterances have no transcript, such as {missing[0]!r}.")
    unknown = [i for i in given if i not in ids]
    if unknown:
        refuse("unknown-ids", f"{len(unknown)} ids are not test utterances, such as {unknown[0][:40]!r}.")
    wrong = [i for i, text in given.items() if not isinstance(text, str)]
    if wrong:
        refuse("bad-transcript", f"The transcript of {wrong[0]!r} is not text.")
    return given


def main():
    with open(TRUTH, encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    given = read_submission({row["id"] for row in truth})
    totals = {subset: {"words": 0, "word_edits": 0, "chars": 0, "char_edits": 0} for subset in ("Public", "Private")}
    with open("/output/items.csv", "w", newline="") as handle:
        items = csv.writer(handle)
        items.writerow(["id", "subset", "wer", "cer"])
        for row in truth:
            reference, hypothesis = normalize(row["text"]), normalize(given[row["id"]])
            words, word_edits = len(reference.split()), distance(reference.split(), hypothesis.split())
            chars, char_edits = len(reference), distance(list(reference), list(hypothesis))
            total = totals[row["Usage"]]
            total["words"] += words
            total["word_edits"] += word_edits
            total["chars"] += chars
            total["char_edits"] += char_edits
            items.writerow([row["id"], row["Usage"], word_edits / max(words, 1), char_edits / max(chars, 1)])
    scores = {subset.lower(): {"wer": t["word_edits"] / max(t["words"], 1), "cer": t["char_edits"] / max(t["chars"], 1)}
              for subset, t in totals.items()}
    with open("/output/scores.json", "w") as handle:
        json.dump(scores, handle)


if __name__ == "__main__":
    main()
