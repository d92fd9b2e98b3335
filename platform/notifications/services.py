"""Writing to inboxes: one notification per event and person, and an email for the kinds they opted into.

Notifications are written in the transaction that makes the event (an invitation, a submission's
final state), so neither exists without the other; emails go out after commit from the scoring queue,
each claimed once (`emailed_at`), so a redelivered task sends nothing twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from competitions.models import Competition
from notifications.models import (ENDING, INVITE, KINDS, PLATFORM_FAILURE, PROGRAM_FAILURE, SUBMISSION_FAILED,
                                  SUBMISSION_SCORED, TEAM_MODERATED,
                                  Notification, NotificationSettings)
from submissions import states
from submissions.models import Submission
from teams.models import Invite, Membership, Team
from notifications.inbox import email_kinds_of, notify
from notifications.organizers import notify_platform_failure, notify_program_failure

logger = logging.getLogger(__name__)

ENDING_WINDOW = timedelta(hours=24)


def notification_settings_update(*, user: User, email_kinds: list[str]) -> NotificationSettings:
    chosen = [kind for kind in KINDS if kind in email_kinds]
    row, _ = NotificationSettings.objects.update_or_create(user=user, defaults={"email_kinds": chosen})
    return row


def notify_invite(*, invite: Invite) -> Notification | None:
    team = invite.team
    inviter = invite.created_by.username if invite.created_by else "A team"
    if invite.invited_user_id is None:
        return None  # a link invitation: nobody to tell
    return notify(user_id=invite.invited_user_id, kind=INVITE, invite=invite, competition_id=team.competition_id,
                  message=f"{inviter} invited you to team {team.name} in {team.competition.title}.",
                  url=reverse("inbox"))


def notify_submission_done(*, submission_id: int) -> Notification | None:
    """Tell the person who submitted that their submission was scored or failed."""
    submission = Submission.objects.select_related("competition").filter(pk=submission_id).first()
    if submission is None or submission.status not in states.FINAL:
        return None
    if submission.error_code == PLATFORM_FAILURE:  # the organizers hear it too
        notify_platform_failure(submission=submission)
    elif submission.error_code == PROGRAM_FAILURE:  # their program's fault: they hear it, once per version
        notify_program_failure(submission=submission)
    if submission.submitted_by_id is None:
        return None
    title = submission.competition.title
    if submission.status == states.SCORED:
        kind = SUBMISSION_SCORED
        score = "" if submission.public_score is None else f": public score {submission.public_score:.4g}"
        message = f"Submission #{submission.pk} to {title} was scored{score}."
    else:
        kind = SUBMISSION_FAILED
        message = f"Submission #{submission.pk} to {title} failed ({submission.error_code or 'error'})."
    told = Notification.objects.filter(user_id=submission.submitted_by_id, submission=submission,
                                       kind__in=[SUBMISSION_SCORED, SUBMISSION_FAILED]).first()
    if told is not None:  # a rescore: the one notice says the new outcome (unread again if it changed), no email
        if (told.kind, told.message) != (kind, message[:300]):
            Notification.objects.filter(pk=told.pk).update(kind=kind, message=message[:300], read_at=None)
        return None
    return notify(user_id=submission.submitted_by_id, kind=kind, submission=submission,
                  competition=submission.competition, message=message,
                  url=reverse("submission-detail", kwargs={"submission_id": submission.pk}))


def notify_team_moderated(*, team: Team, disqualified: bool, reason: str) -> int:
    """Tell every member that the organizers disqualified their team (with the reason) or reinstated it."""
    title = team.competition.title
    message = (f"The organizers of {title} disqualified your team {team.name}: {reason}" if disqualified else
               f"The organizers of {title} reinstated your team {team.name}: {reason}")
    told = 0
    for user_id in team.memberships.values_list("user_id", flat=True):
        told += notify(user_id=user_id, kind=TEAM_MODERATED, competition=team.competition, message=message[:300],
                       url=reverse("team", kwargs={"slug": team.competition.slug})) is not None
    return told


def notify_ending_soon(*, now: datetime | None = None) -> int:
    """Tell every member of a competition that ends within ENDING_WINDOW, once; returns how many were told."""
    now = now or timezone.now()
    told = 0
    ending = Competition.objects.filter(start_at__lte=now, end_at__gt=now, end_at__lte=now + ENDING_WINDOW)
    for competition in ending:
        members = set(Membership.objects.filter(competition=competition).values_list("user_id", flat=True))
        members -= set(Notification.objects.filter(kind=ENDING, competition=competition).values_list("user_id", flat=True))
        hours = max(1, round((competition.end_at - now).total_seconds() / 3600))
        for user_id in sorted(members):
            told += notify(user_id=user_id, kind=ENDING, competition=competition,
                           message=f"{competition.title} ends in about {hours} hour{'s' if hours != 1 else ''}: "
                                   "choose your final submissions.",
                           url=reverse("my-submissions", kwargs={"slug": competition.slug})) is not None
    return told


def notifications_mark_read(*, user: User, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's notifications read: those with `ids`, or all of them."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=now or timezone.now())


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification, once; False when there is nothing to send (sent already, no address, opted out)."""
    now = timezone.now()
    if not Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=now):
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    address = notification.user.email
    if not address or notification.kind not in email_kinds_of(user_id=notification.user_id):
        return False
    link = settings.PODIUM_SITE_URL.rstrip("/") + notification.url if notification.url else settings.PODIUM_SITE_URL
    log = ""
    if notification.kind == PROGRAM_FAILURE and notification.submission_id:  # organizers only: the program's log
        log = Submission.objects.filter(pk=notification.submission_id).values_list("scoring_log", flat=True).first() or ""
        log = f"What the program printed (the last 64 KB):\n\n{log}\n\n" if log else ""
    body = (f"{notification.message}\n\n{link}\n\n{log}"
            f"You get this email because you chose it on your profile: {settings.PODIUM_SITE_URL.rstrip('/')}"
            f"{reverse('profile')}")
    try:
        send_mail(f"Podium: {KINDS[notification.kind].lower()}", body, None, [address])
    except Exception:
        # Not sent: let the task's retry claim it again.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True
