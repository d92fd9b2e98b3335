"""What Podium keeps of failed submissions: the row and its error always; a large file only for a while.

A team's failed uploads count against its daily upload quota (`Competition.daily_upload_mb`) but could still
pile up across days. So the file of a submission that failed through its team's fault (not a platform error:
those can be run again from the admin), larger than PODIUM_FAILED_UPLOAD_MIN_MB, is removed from storage
PODIUM_FAILED_UPLOAD_KEEP_HOURS after it failed; `file_removed_at` says when. Celery beat runs this hourly.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core.errors import PodiumError
from core.storage import stored_name
from submissions import states
from submissions.models import Submission

logger = logging.getLogger(__name__)
PLATFORM_ERROR = PodiumError.PLATFORM_ERROR
BATCH = 500


def failed_uploads_purge(*, now: datetime | None = None) -> int:
    """Remove the stored files of large, long-failed submissions; returns how many were removed."""
    now = now or timezone.now()
    due = (Submission.objects.filter(status=states.FAILED, file_removed_at__isnull=True,
                                     scored_at__lt=now - timedelta(hours=settings.PODIUM_FAILED_UPLOAD_KEEP_HOURS),
                                     file_bytes__gt=settings.PODIUM_FAILED_UPLOAD_MIN_MB * 1024 * 1024)
           .exclude(error_code=PLATFORM_ERROR).exclude(file=""))
    removed = 0
    for submission in due[:BATCH]:
        name = stored_name(submission.file)
        # The row first: a crash between the two leaves a file nobody points to, never a row pointing at nothing.
        if Submission.objects.filter(pk=submission.pk, file_removed_at__isnull=True).update(file_removed_at=now):
            if not Submission.objects.filter(file=name).exclude(pk=submission.pk).exists():
                submission.file.storage.delete(name)
            removed += 1
            logger.info("removed the %d-byte file of a failed submission", submission.file_bytes or 0,
                        extra={"submission": submission.pk})
    return removed
