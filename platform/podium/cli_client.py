"""The `podium` client's ground: the API client, its errors and exit codes, the config file and the tables."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_FAILED = 1, 2, 3, 4


class CliError(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def config_path() -> Path:
    return Path(os.environ.get("PODIUM_CONFIG", Path.home() / ".config" / "podium" / "config.json"))


def load_config() -> dict[str, str]:
    stored = json.loads(config_path().read_text()) if config_path().is_file() else {}
    return {
        "host": os.environ.get("PODIUM_HOST", stored.get("host", "http://127.0.0.1:8000")).rstrip("/"),
        "token": os.environ.get("PODIUM_TOKEN", stored.get("token", "")),
    }


class Client:
    def __init__(self, host: str, token: str) -> None:
        self.host = host
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, f"{self.host}{path}", timeout=kwargs.pop("timeout", 60), **kwargs)
        except requests.ConnectionError:
            raise CliError(f"cannot reach {self.host}: is the server running and PODIUM_HOST right?", EXIT_UNREACHABLE) from None
        if response.status_code >= 400:
            raise CliError(_error_text(response), EXIT_REFUSED)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()


def _error_text(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code} from the server"
    text = f"{error['code']}: {error['message']}"
    joining = re.search(r"/api/v1/competitions/([\w-]+)/join/", str(error.get("message", "")))
    if error.get("code") == "not-joined" and joining:  # the command, not the API call
        text = f"not-joined: join the competition and accept its rules first: podium competitions join {joining[1]}"
    return text


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(r[i]) for r in cells)) for i, column in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.5f}"
    if isinstance(value, dict):
        return value.get("code", "") if "code" in value else json.dumps(value)
    if isinstance(value, str) and ISO_MOMENT.match(value):  # the API's ISO 8601, read as a person reads a time
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return moment.strftime("%Y-%m-%d %H:%M")
    return str(value)


ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def emit(args: argparse.Namespace, data: Any, columns: list[str]) -> None:
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data if isinstance(data, list) else [data], columns)


def accept_rules(args: argparse.Namespace, rules: str, again: str) -> bool:
    """Show the rules and have them accepted: --accept-rules, or a yes on a terminal; elsewhere say to run `again`.
    Nothing to accept: True."""
    if not rules.strip():
        return True
    print("The competition's rules:\n")
    print("\n".join(f"  {line}" for line in rules.strip().splitlines()))
    print()
    if args.accept_rules:
        print("Rules accepted (--accept-rules).")
        return True
    if sys.stdin.isatty():
        if input("Accept these rules? [y/N] ").strip().lower() in ("y", "yes"):
            return True
        raise CliError("rules not accepted; nothing changed", EXIT_REFUSED)
    raise CliError(f"these rules must be accepted: read them above, then run `podium {again}`", EXIT_USAGE)
