"""`podium team …` and `podium invitations …`: a participant's team and the invitations they received."""
from __future__ import annotations

import argparse
import json
from typing import Any

from podium.cli_client import EXIT_REFUSED, CliError, Client, accept_rules, print_table


def _show_team(args: argparse.Namespace, team: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(team, indent=2))
        return
    print(f"Team {team['name']} in {team['competition']} ({len(team['members'])} of at most {team['max_team_size']})")
    print_table(team["members"], ["username", "joined_at", "rules_accepted"])
    if team["invitations"]:
        print("\nOpen invitations:")
        print_table(team["invitations"], ["id", "username", "url", "created_at"])


def cmd_team_show(args: argparse.Namespace, client: Client) -> int:
    _show_team(args, client.json("GET", f"/api/v1/competitions/{args.slug}/team/"))
    return 0


def cmd_team_rename(args: argparse.Namespace, client: Client) -> int:
    _show_team(args, client.json("PATCH", f"/api/v1/competitions/{args.slug}/team/", json={"name": args.name}))
    return 0


def cmd_team_invite(args: argparse.Namespace, client: Client) -> int:
    invite = client.json("POST", f"/api/v1/competitions/{args.slug}/team/invitations/",
                         json={"username": args.username or ""})
    print(f"Invited {invite['username']} (they see it in their inbox and with `podium invitations list`)"
          if invite["username"] else f"Anyone with this link may join your team: {invite['url']}")
    return 0


def cmd_team_leave(args: argparse.Namespace, client: Client) -> int:
    team = client.json("POST", f"/api/v1/competitions/{args.slug}/team/leave/")
    print(f"You left; you are now on your own team {team['name']} (your old team keeps its submissions)")
    return 0


def cmd_invitations(args: argparse.Namespace, client: Client) -> int:
    invites = client.json("GET", "/api/v1/invitations/")
    if args.json:
        print(json.dumps(invites, indent=2))
    else:
        print_table([{**i, "rules": "to accept" if i["rules"] else "accepted"} for i in invites],
                    ["token", "competition", "team", "invited_by", "created_at", "rules"])
    return 0


def cmd_invitation_accept(args: argparse.Namespace, client: Client) -> int:
    invite = next((i for i in client.json("GET", "/api/v1/invitations/") if i["token"] == args.token), None)
    if invite is None:
        raise CliError("no open invitation to you has this token; `podium invitations list` shows them", EXIT_REFUSED)
    accepted = accept_rules(args, invite["rules"] or "", f"invitations accept {args.token} --accept-rules")
    team = client.json("POST", f"/api/v1/invitations/{args.token}/accept/", json={"accept_rules": accepted})
    print(f"You are now on team {team['name']} in {team['competition']}")
    return 0


def cmd_invitation_decline(args: argparse.Namespace, client: Client) -> int:
    client.request("POST", f"/api/v1/invitations/{args.token}/decline/")
    print("Invitation declined")
    return 0


def add_team_commands(verbs: Any) -> None:
    team = verbs.add_parser("team", help="your team in a competition").add_subparsers(dest="command", required=True)
    for name, handler, extra in (("show", cmd_team_show, None), ("rename", cmd_team_rename, "name"),
                                 ("invite", cmd_team_invite, "username"), ("leave", cmd_team_leave, None)):
        sub = team.add_parser(name)
        sub.add_argument("slug")
        if extra == "name":
            sub.add_argument("name")
        elif extra:
            sub.add_argument(extra, nargs="?", help="left out: a link anyone may open")
        sub.set_defaults(handler=handler)
    invitations = verbs.add_parser("invitations", help="invitations to join a team").add_subparsers(
        dest="command", required=True)
    invitations.add_parser("list").set_defaults(handler=cmd_invitations)
    accept = invitations.add_parser("accept", help="show the rules where needed and accept")
    accept.add_argument("token")
    accept.add_argument("--accept-rules", action="store_true", help="accept the competition's rules without asking")
    accept.set_defaults(handler=cmd_invitation_accept)
    decline = invitations.add_parser("decline")
    decline.add_argument("token")
    decline.set_defaults(handler=cmd_invitation_decline)
