"""How transcripts are compared: lower case, punctuation dropped, whitespace collapsed."""
import re
import unicodedata


def normalize(text):
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())
