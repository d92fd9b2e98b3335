"""A draft that becomes ready to publish (its settings or its files saved) tells its organizers once."""
from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from competitions.models import Competition, CompetitionFile
from notifications.organizers import notify_if_ready


def _check_later(competition_id: int) -> None:
    def check() -> None:
        competition = Competition.objects.filter(pk=competition_id, published_at__isnull=True).first()
        if competition is not None:
            notify_if_ready(competition=competition)
    transaction.on_commit(check)  # after the admin has saved the form and its files


@receiver(post_save, sender=Competition, dispatch_uid="notifications-draft-saved")
def _draft_saved(sender: type, instance: Competition, **kwargs: object) -> None:
    if instance.is_draft:
        _check_later(instance.pk)


@receiver(post_save, sender=CompetitionFile, dispatch_uid="notifications-draft-file-saved")
def _draft_file_saved(sender: type, instance: CompetitionFile, **kwargs: object) -> None:
    _check_later(instance.competition_id)
