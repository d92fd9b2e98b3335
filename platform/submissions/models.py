"""Submissions: an uploaded file, its status, and its scores on both subsets."""
from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models

from competitions.models import PREDICTIONS, SUBMISSION_KINDS, Competition
from submissions import states
from teams.models import Team


def submission_upload_path(submission: "Submission", filename: str) -> str:
    suffix = Path(filename).suffix.lower()[:10]
    return f"submissions/{submission.competition.slug}/{uuid.uuid4().hex}{suffix}"


class Submission(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="submissions")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="submissions")
    # The phase it was made in (scored on that phase's truth, on that phase's boards); empty: a single-stage competition.
    phase = models.ForeignKey("competitions.Phase", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="submissions")
    # A selected submission of the phase before, brought into this one (it counts against no daily limit).
    carried_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    kind = models.CharField(max_length=20, choices=[(k, k) for k in SUBMISSION_KINDS], default=PREDICTIONS)
    file = models.FileField(upload_to=submission_upload_path, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    # What the upload stored (a team's daily upload quota counts it); the file of a failed one may later be removed
    # (submissions/retention.py), the row and its error kept.
    file_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    file_removed_at = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=states.CHOICES, default=states.QUEUED, db_index=True)
    # Within `running`: "inference" (a model is being run) or "scoring".
    stage = models.CharField(max_length=10, blank=True, choices=states.STAGE_CHOICES)
    progress = models.FloatField(null=True, blank=True, help_text="Share of test inputs a model has processed.")
    inference_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Time spent running the model.")
    inference_device = models.CharField(max_length=20, blank=True)
    model_load_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Time spent loading the model.")
    inference_items = models.PositiveIntegerField(null=True, blank=True, help_text="Test items the model predicted.")
    inference_run_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Time predicting them, after the load.")
    model_log = models.TextField(blank=True, help_text="The last 64 KB a model printed; shown to its team where its "
                                                       "inputs are public (submissions/disclosure.py).")
    # For model submissions: the predictions the model wrote, scored like an upload.
    predictions_file = models.FileField(blank=True, max_length=255)
    public_score = models.FloatField(null=True, blank=True)
    private_score = models.FloatField(null=True, blank=True)
    public_scores = models.JSONField(default=dict, blank=True)
    private_scores = models.JSONField(default=dict, blank=True)
    public_details = models.JSONField(default=dict, blank=True,
                                      help_text="Per-class numbers on the public subset, shown to the team only.")
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    # Where the organizers' own program scores it (task `custom`): the version that did, and what it printed
    # (the last 64 KB), for the organizers only: never shown to a participant (submissions/disclosure.py).
    program_version = models.CharField(max_length=16, blank=True)
    scoring_log = models.TextField(blank=True, help_text="What the scoring program printed; organizers only.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Time spent scoring.")
    # Each claim by a worker bumps `attempt`; only the holder of the latest
    # attempt may record a result, so a redelivered task never scores twice.
    attempt = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=100, blank=True, help_text="The worker holding (or that last held) it.")
    requeues = models.PositiveIntegerField(default=0, help_text="Times the sweep sent it again after a lost task.")
    selected = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["competition", "status"]),
            models.Index(fields=["team", "created_at"]),
        ]

    @property
    def items_per_second(self) -> float | None:
        """The model's throughput after its load: test items over the time spent predicting them."""
        if not self.inference_items or not self.inference_run_ms:
            return None
        return self.inference_items / (self.inference_run_ms / 1000)

    @property
    def shown_error_message(self) -> str:
        """The message its team sees (submissions/disclosure.py); the admin shows `error_message`."""
        from submissions.disclosure import shown_error_message

        return shown_error_message(self)

    @property
    def shown_model_log(self) -> str:
        from submissions.disclosure import shown_model_log

        return shown_model_log(self)

    def __str__(self) -> str:
        return f"#{self.pk} {self.team} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in states.FINAL

    @property
    def stage_label(self) -> str:
        """What a participant sees: queued, running inference (with progress), scoring, scored or failed."""
        if self.status == states.RUNNING and self.stage == states.INFERENCE:
            percent = f" {self.progress:.0%}" if self.progress is not None else ""
            return f"running inference{percent}"
        if self.status == states.RUNNING:
            return "scoring"
        if self.stage == states.WAITING:
            return "queued (after your team's running model)"
        return self.status


class Rescore(models.Model):
    """One submission's scores before and after an organizer re-scored the competition (an audit trail)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="rescores")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    old_status = models.CharField(max_length=10)
    old_public_score = models.FloatField(null=True)
    old_private_score = models.FloatField(null=True)
    old_error_code = models.CharField(max_length=40, blank=True)
    old_program_version = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=10, blank=True)
    new_public_score = models.FloatField(null=True)
    new_private_score = models.FloatField(null=True)
    new_error_code = models.CharField(max_length=40, blank=True)
    new_program_version = models.CharField(max_length=16, blank=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-requested_at"]
