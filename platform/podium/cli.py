"""`podium`: a Kaggle-CLI-like client for a Podium server's API.

    podium config --host http://127.0.0.1:8000 --username alice   (asks for the password, stores a token)
    podium competitions list | files SLUG | download SLUG [-f FILE] [-p DIR] | join SLUG [--accept-rules]
    podium competitions submit SLUG -f FILE [-m MSG] [--model] [--wait]
    podium competitions submissions SLUG | select SLUG ID | unselect SLUG ID | leaderboard SLUG [--show|--download]
    podium team show SLUG | rename SLUG NAME | invite SLUG [USERNAME] | leave SLUG
    podium invitations list | accept TOKEN [--accept-rules] | decline TOKEN

Host and token come from PODIUM_HOST / PODIUM_TOKEN, else from the config file
(PODIUM_CONFIG, default ~/.config/podium/config.json). Exit codes: 0 done,
1 the server refused (its error is printed), 2 bad usage, 3 host unreachable,
4 a waited-for submission failed scoring.
"""
from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

from podium.cli_client import (EXIT_FAILED, EXIT_REFUSED, EXIT_USAGE, CliError, Client, accept_rules, config_path,
                               emit, load_config, print_table)
from podium.cli_teams import add_team_commands

__all__ = ["main", "console", "build_parser", "print_table"]


def cmd_config(args: argparse.Namespace, client: Client) -> int:
    host = (args.host or load_config()["host"]).rstrip("/")
    token = args.token
    if not token:
        username = args.username or input("Username: ")
        password = os.environ.get("PODIUM_PASSWORD") or getpass.getpass("Password: ")
        token = Client(host, "").json("POST", "/api/v1/auth/token/", json={"username": username, "password": password})["token"]
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": host, "token": token}))
    path.chmod(0o600)
    print(f"Saved {host} and a token to {path}")
    return 0


def cmd_list(args: argparse.Namespace, client: Client) -> int:
    emit(args, client.json("GET", "/api/v1/competitions/"), ["slug", "title", "task", "metric", "state", "end"])
    return 0


def cmd_files(args: argparse.Namespace, client: Client) -> int:
    emit(args, client.json("GET", f"/api/v1/competitions/{args.slug}/files/"), ["name", "size"])
    return 0


def cmd_join(args: argparse.Namespace, client: Client) -> int:
    competition = client.json("GET", f"/api/v1/competitions/{args.slug}/")
    accepted = accept_rules(args, competition.get("rules") or "", f"competitions join {args.slug} --accept-rules")
    result = client.json("POST", f"/api/v1/competitions/{args.slug}/join/", json={"accept_rules": accepted})
    print(f"Joined {result['competition']} as team {result['team']}"
          f"{' (rules accepted)' if result['rules_accepted'] and competition.get('rules') else ''}")
    return 0


def cmd_download(args: argparse.Namespace, client: Client) -> int:
    files = client.json("GET", f"/api/v1/competitions/{args.slug}/files/")
    chosen = [f for f in files if args.file in (None, f["name"])]
    if args.file and not chosen:
        raise CliError(f"no file {args.file!r}; files: {', '.join(f['name'] for f in files)}", EXIT_REFUSED)
    target = Path(args.path)
    for item in chosen:
        destination = target / item["name"]
        destination.parent.mkdir(parents=True, exist_ok=True)
        response = client.request("GET", item["url"].split(client.host, 1)[-1], stream=True)
        with open(destination, "wb") as handle:
            for chunk in response.iter_content(1 << 16):
                handle.write(chunk)
        print(f"{destination}  ({item['size']} bytes)")
    return 0


def cmd_submit(args: argparse.Namespace, client: Client) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"no such file: {path}", EXIT_USAGE)
    with open(path, "rb") as handle:
        # Streamed from disk (never read whole into memory), with a progress bar on a terminal.
        body = MultipartEncoder(fields={
            "kind": "model" if args.model else "predictions",
            "description": args.message or "",
            "file": (path.name, handle, "application/octet-stream"),
        })
        monitor = MultipartEncoderMonitor(body, _progress_bar(body.len) if sys.stderr.isatty() else None)
        submission = client.json(
            "POST", f"/api/v1/competitions/{args.slug}/submissions/",
            data=monitor, headers={"Content-Type": monitor.content_type}, timeout=600,
        )
        if sys.stderr.isatty():
            print(file=sys.stderr)
    if args.wait:
        submission = _wait(client, submission["id"])
    emit(args, submission, ["id", "status", "public_score", "error"])
    if submission["status"] == "failed":
        if not args.json:
            print(f"error {submission['error']['code']}: {submission['error']['message']}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _progress_bar(total: int) -> Callable[[MultipartEncoderMonitor], None]:
    def show(monitor: MultipartEncoderMonitor) -> None:
        done = min(monitor.bytes_read, total)
        filled = int(30 * done / total) if total else 30
        print(f"\rUploading [{'#' * filled}{'.' * (30 - filled)}] {done / 1e6:6.1f} / {total / 1e6:.1f} MB",
              end="", file=sys.stderr, flush=True)

    return show


def _wait(client: Client, submission_id: int, timeout: float = 3600) -> dict[str, Any]:
    deadline, delay = time.monotonic() + timeout, 0.2
    while time.monotonic() < deadline:
        submission = client.json("GET", f"/api/v1/submissions/{submission_id}/")
        if submission["status"] in ("scored", "failed"):
            return submission
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)
    raise CliError(f"submission {submission_id} was not scored within {timeout:.0f} s", EXIT_FAILED)


def cmd_submissions(args: argparse.Namespace, client: Client) -> int:
    emit(args, client.json("GET", f"/api/v1/competitions/{args.slug}/submissions/"),
         ["id", "created_at", "status", "public_score", "private_score", "selected", "description"])
    return 0


def cmd_select(args: argparse.Namespace, client: Client) -> int:
    """Select (or unselect) a submission for the final ranking (SLUG names the competition it belongs to)."""
    submission = client.json("GET", f"/api/v1/submissions/{args.id}/")
    if submission.get("competition") not in (None, args.slug):
        raise CliError(f"submission {args.id} belongs to {submission['competition']!r}, not {args.slug!r}", EXIT_USAGE)
    chosen = client.json("POST", f"/api/v1/submissions/{args.id}/select/", json={"selected": args.selected})
    print(f"Submission {chosen['id']} {'selected for' if chosen['selected'] else 'no longer selected for'} the final ranking")
    return 0


def cmd_leaderboard(args: argparse.Namespace, client: Client) -> int:
    path = f"/api/v1/competitions/{args.slug}/leaderboard/"
    phase = {"phase": args.phase} if args.phase else {}
    if args.download:  # every page, 1,000 teams at a time
        name = f"{args.slug}{'-' + args.phase if args.phase else ''}-{args.board}-leaderboard.csv"
        with open(name, "w", newline="") as handle:
            writer = csv.DictWriter(handle, ["rank", "team", "score", "submission_count", "last_submission_at"],
                                    extrasaction="ignore")
            writer.writeheader()
            page, pages = 1, 1
            while page <= pages:
                board = client.json("GET", path, params={"board": args.board, "page": page, "page_size": 1000,
                                                         **phase})
                writer.writerows(board["entries"])
                page, pages = page + 1, board["pages"]
        print(f"Wrote {name}")
        return 0
    board = client.json("GET", path, params={"board": args.board, **phase})
    if args.json:
        print(json.dumps(board, indent=2))
    else:
        print_table(board["entries"], ["rank", "team", "score", "submission_count", "last_submission_at"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="podium", description="Podium competitions from the command line.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    verbs = parser.add_subparsers(dest="verb", required=True)
    config = verbs.add_parser("config", help="store the host and an API token")
    config.add_argument("--host")
    config.add_argument("--username")
    config.add_argument("--token", help="an existing token (else asks for the password)")
    config.set_defaults(handler=cmd_config)
    competitions = verbs.add_parser("competitions", aliases=["c"], help="competitions, files, submissions").add_subparsers(
        dest="command", required=True)
    competitions.add_parser("list").set_defaults(handler=cmd_list)
    for name, handler in (("files", cmd_files), ("submissions", cmd_submissions)):
        sub = competitions.add_parser(name)
        sub.add_argument("slug")
        sub.set_defaults(handler=handler)
    join = competitions.add_parser("join", help="show the rules and join (accepting them)")
    join.add_argument("slug")
    join.add_argument("--accept-rules", action="store_true", help="accept the rules shown without asking")
    join.set_defaults(handler=cmd_join)
    for name, selected in (("select", True), ("unselect", False)):
        choice = competitions.add_parser(name, help=f"{name} a submission for the final ranking")
        choice.add_argument("slug")
        choice.add_argument("id", type=int)
        choice.set_defaults(handler=cmd_select, selected=selected)
    download = competitions.add_parser("download")
    download.add_argument("slug")
    download.add_argument("-f", "--file")
    download.add_argument("-p", "--path", default=".")
    download.set_defaults(handler=cmd_download)
    submit = competitions.add_parser("submit")
    submit.add_argument("slug")
    submit.add_argument("-f", "--file", required=True)
    submit.add_argument("-m", "--message")
    submit.add_argument("--model", action="store_true", help="the file is a TorchScript model")
    submit.add_argument("--wait", action="store_true", help="wait for the score")
    submit.set_defaults(handler=cmd_submit)
    board = competitions.add_parser("leaderboard")
    board.add_argument("slug")
    board.add_argument("--board", choices=["public", "private"], default="public")
    board.add_argument("--phase", help="a phase's slug (default: the running phase)")
    board.add_argument("--show", action="store_true", help="print the leaderboard (the default)")
    board.add_argument("--download", action="store_true", help="write it to a CSV file")
    board.set_defaults(handler=cmd_leaderboard)
    add_team_commands(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_config()
    try:
        return args.handler(args, Client(settings["host"], settings["token"]))
    except CliError as exc:
        print(f"podium: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def console() -> None:
    """The `podium` console script."""
    sys.exit(main())


if __name__ == "__main__":
    console()
