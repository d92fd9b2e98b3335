"""The CLI's tables read as a person reads them: times to the minute in UTC, scores to five places."""
from __future__ import annotations

from podium.cli import print_table


def test_times_are_shown_to_the_minute_in_utc_and_other_values_as_they_are(capsys) -> None:
    print_table([{"id": 7, "created_at": "2026-12-04T19:22:59.123456+01:00", "public_score": 0.123456789,
                  "error": {"code": "bad-header", "message": "…"}, "description": "2026-12-04 is a date, in text"}],
                ["id", "created_at", "public_score", "error", "description"])
    row = capsys.readouterr().out.splitlines()[2]
    assert "2026-12-04 18:22 UTC" in row and ".123456" not in row
    assert "0.12346" in row and "bad-header" in row and "2026-12-04 is a date, in text" in row
