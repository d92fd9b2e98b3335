"""Competitions and the files organizers attach to them."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from scoring import TASKS, ScoringOptions, TaskType, get_task
from scoring.tasks import custom

from competitions.limits import MODEL_SETTINGS, model_limit_maxima, scoring_limit_maxima

UPCOMING = "upcoming"
ACTIVE = "active"
ENDED = "ended"

PREDICTIONS = "predictions"
MODEL = "model"
SUBMISSION_KINDS = [PREDICTIONS, MODEL]


def _default_kinds() -> list[str]:
    return [PREDICTIONS]


def truth_upload_path(competition: "Competition", filename: str) -> str:
    return f"competitions/{competition.slug}/truth/{Path(filename).name}"


def public_upload_path(competition_file: "CompetitionFile", filename: str) -> str:
    # Keep the file's place in the bundle (e.g. images/0001.png): models read the
    # test inputs with the layout test.json / test.csv refer to.
    relative = Path(competition_file.name or Path(filename).name)
    parts = [part for part in relative.parts if part not in ("", ".", "..", "/")]
    return f"{competition_public_dir(competition_file.competition)}/{'/'.join(parts)}"


def competition_public_dir(competition: "Competition") -> str:
    """Storage name of the folder holding a competition's public files."""
    return f"competitions/{competition.slug}/public"


def competition_model_inputs_dir(competition: "Competition") -> str:
    """Storage name of the folder a model reads: the bundle's test_inputs/ if it had one, else public/."""
    if competition.has_model_inputs:
        return f"competitions/{competition.slug}/test_inputs"
    return competition_public_dir(competition)


def task_name_validator(value: str) -> None:
    if value not in TASKS:
        raise ValidationError(f"{value!r} is not a task type; known: {', '.join(TASKS)}.", code="unknown-task")


def metric_name_validator(value: str) -> None:
    """A built-in task type's metric, or a name a competition scored by its program may declare (which of them
    ranks a given competition is checked where its task and metrics are known)."""
    known = {metric for task in TASKS.values() for metric in task.rankable()}
    if value and value not in known and not custom.METRIC_NAME.match(value):
        raise ValidationError(f"{value!r} ranks no task type; known: {', '.join(sorted(known))}.", code="unknown-metric")


def metrics_validator(value: object) -> None:
    if value in (None, [], ""):
        return
    try:
        custom.declared_metrics(value)
    except ValueError as exc:
        raise ValidationError(f"{exc}.", code="bad-metrics") from None


def suffix_validator(value: str) -> None:
    try:
        if value:
            custom.submission_suffix(value)
    except ValueError as exc:
        raise ValidationError(f"{exc}.", code="bad-suffix") from None


def program_upload_path(program: "ScoringProgram", filename: str) -> str:
    return f"competitions/{program.competition.slug}/scoring/{program.version}.zip"


def task_choices() -> list[tuple[str, str]]:
    """The registered task types, for forms."""
    return [(name, task.label) for name, task in TASKS.items()]


def metric_choices() -> list[tuple[str, str]]:
    """Every metric some task type ranks by, once each, for forms (which of them ranks a given task is checked on
    save; the admin shows only the chosen task's, `metric_tasks`)."""
    return [("", "(the task's primary metric)"),
            *((name, f"{name} ({', '.join(tasks)})") for name, tasks in sorted(metric_tasks().items()))]


def metric_tasks() -> dict[str, list[str]]:
    """{metric: the task types it may rank}."""
    ranked: dict[str, list[str]] = {}
    for task in TASKS.values():
        for name in task.rankable():
            ranked.setdefault(name, []).append(task.name)
    return ranked


class Competition(models.Model):
    slug = models.SlugField(unique=True, max_length=80)
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=300, blank=True)
    # Task types and metrics are validated against the registry (scoring/registry.py), not listed as choices:
    # a new task type needs no migration.
    task = models.CharField(max_length=40, validators=[task_name_validator],
                            help_text="The task type, one of the registered plug-ins (scoring/registry.py).")
    metric = models.CharField(
        max_length=40, blank=True, validators=[metric_name_validator],
        help_text="The ranking metric, among the task type's (empty: the task's primary metric). "
                  "Its direction comes from the task type. Changing it re-ranks every board.",
    )
    overview = models.TextField(blank=True, help_text="Markdown.")
    evaluation = models.TextField(blank=True, help_text="Markdown. Leave empty for a default written from the task.")
    rules = models.TextField(blank=True, help_text="Markdown. Participants must accept them to join.")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    reveal_at = models.DateTimeField(null=True, blank=True, help_text="When private scores are shown; default: the end.")
    daily_submission_limit = models.PositiveIntegerField(default=5)
    max_team_size = models.PositiveIntegerField(default=5)
    final_selection_limit = models.PositiveIntegerField(default=2)
    submission_kinds = models.JSONField(default=_default_kinds, help_text='e.g. ["predictions", "model"]')
    classes = models.JSONField(default=list, blank=True, help_text="Class names (text-classification).")
    model_limits = models.JSONField(
        default=dict, blank=True,
        help_text='{"wall_seconds": 600, "cpu_seconds": 1200, "memory_mb": 4096, "batch_size": 16, "output_mb": 512}',
    )
    max_submission_mb = models.PositiveIntegerField(default=50, help_text="Largest predictions file, in MB.")
    max_model_mb = models.PositiveIntegerField(
        default=2048, help_text="Largest model upload, in MB (capped by PODIUM_MAX_MODEL_MB)."
    )
    merger_deadline = models.DateTimeField(null=True, blank=True, help_text="Teams may merge until then; default: the end.")
    late_submissions = models.BooleanField(
        default=True, help_text="After the end, accept submissions: scored and shown to their team, never ranked."
    )
    daily_failed_model_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Failed model runs a team may have per day (empty: the daily limit)."
    )
    max_pending_submissions = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many queued or running submissions per team (empty: no cap)."
    )
    has_model_inputs = models.BooleanField(
        default=False, editable=False, help_text="Models read the bundle's test_inputs/ instead of the public files."
    )
    daily_upload_mb = models.PositiveIntegerField(
        default=10 * 1024, help_text="Megabytes of uploads a team may store per day (UTC), failed ones included.")
    show_model_logs = models.BooleanField(
        default=True, help_text="Teams see what their models printed and the full error messages. Only where the "
                                "models read the public files: where they read hidden test inputs, teams never do.")
    truth_file = models.FileField(upload_to=truth_upload_path, blank=True, max_length=255, help_text="Hidden from participants.")
    # Scored by the organizers' own program (task `custom`, SPEC section 9); the program's versions are ScoringProgram.
    metrics = models.JSONField(
        default=list, blank=True, validators=[metrics_validator],
        help_text='Scored by a program: [{"name": "wer", "label": "WER", "higher_is_better": false}], the first '
                  "ranking by default.")
    submission_suffix = models.CharField(
        max_length=24, blank=True, validators=[suffix_validator],
        help_text="Scored by a program: the file participants upload, such as .json (empty: .csv).")
    scoring_limits = models.JSONField(
        default=dict, blank=True, help_text='Scored by a program: {"wall_seconds": 300, "memory_mb": 4096}.')
    organizers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="organized_competitions")
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Empty: a draft, seen only by its organizers. Set by publishing, after the readiness check.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_at", "slug"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("competition-detail", kwargs={"slug": self.slug})

    @property
    def model_inputs_hidden(self) -> bool:
        """Models read test inputs that participants cannot download (the bundle's test_inputs/)."""
        return self.has_model_inputs

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    @property
    def task_type(self) -> TaskType:
        """The task type, with this competition's metrics and suffix where its own program scores it."""
        task = get_task(self.task)
        if not task.program:
            return task
        try:
            metrics = custom.declared_metrics(self.metrics)
        except ValueError:
            metrics = ()  # the readiness check says so; nothing can be scored until it is declared
        return task.for_competition(metrics, self.submission_suffix)

    @property
    def scored_by_program(self) -> bool:
        return get_task(self.task).program

    def scoring_limit(self, name: str) -> int:
        """A scoring program's limit from `scoring_limits`, else SPEC's default, capped by the operator."""
        defaults = {"wall_seconds": 300, "memory_mb": 4096}
        value = (self.scoring_limits or {}).get(name, defaults[name])
        try:
            return max(1, min(int(value), scoring_limit_maxima()[name]))
        except (TypeError, ValueError):
            return min(defaults[name], scoring_limit_maxima()[name])

    def current_program(self) -> "ScoringProgram | None":
        return self.programs.order_by("-pk").first()

    @property
    def ranking_metric(self) -> str:
        task = self.task_type
        return self.metric if self.metric in task.rankable() else task.primary_metric

    @cached_property
    def other_metrics(self) -> list[str]:
        """The task's metrics besides the ranking one: columns of the boards and of a team's submissions. A mean
        over classes is left out where the truth has no classes (it would repeat the plain metric)."""
        task = self.task_type
        names = [metric for metric in task.metrics if metric != self.ranking_metric]
        if any(task.metric(name).per_class for name in names) and not self._has_classes():
            names = [name for name in names if not task.metric(name).per_class]
        return names

    def _has_classes(self) -> bool:
        """Classes declared (text), or a scored submission with a per-class breakdown (only truths with classes
        give one)."""
        from submissions import states

        return bool(self.classes) or self.submissions.filter(status=states.SCORED).exclude(public_details={}).exists()

    @property
    def higher_is_better(self) -> bool:
        return self.task_type.higher_is_better_for(self.ranking_metric)

    @property
    def reveal_time(self) -> datetime:
        return self.reveal_at or self.end_at

    def state(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if now < self.start_at:
            return UPCOMING
        if now < self.end_at:
            return ACTIVE
        return ENDED

    def private_revealed(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.reveal_time

    def model_limit(self, name: str) -> int:
        """A model-run setting from `model_limits`, else the platform default (README, "Model submissions")."""
        defaults = {"wall_seconds": 600, "cpu_seconds": 1200, "memory_mb": 4096, "batch_size": 16, "output_mb": 512}
        value = (self.model_limits or {}).get(name, defaults[name])
        try:
            return max(1, min(int(value), model_limit_maxima()[name]))
        except (TypeError, ValueError):
            return defaults[name]  # a value the admin would refuse, from an older row or a bundle

    def model_settings(self) -> dict[str, float | int]:
        """How models' inputs and outputs are read here (`model_limits` keys); a model's podium.yaml may override."""
        from workers.runtime.manifest import KEYS, ManifestError

        chosen, valid = self.model_limits or {}, {}
        for name in MODEL_SETTINGS:
            try:
                if name in chosen:
                    valid[name] = KEYS[name](chosen[name])
            except ManifestError:
                continue  # the admin form refuses such values; an old row keeps the defaults
        return valid

    def model_upload_mb(self) -> int:
        return min(self.max_model_mb, settings.PODIUM_MAX_MODEL_MB)

    def scoring_options(self) -> ScoringOptions:
        return ScoringOptions(classes=tuple(self.classes or ()), max_bytes=self.max_submission_mb * 1024 * 1024,
                              ranking_metric=self.ranking_metric)


def public_storage() -> Storage:
    return storages["public"]


class CompetitionFile(models.Model):
    """A file participants may download (training data, test inputs, a sample submission)."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=200)
    file = models.FileField(upload_to=public_upload_path, storage=public_storage, max_length=255)
    size = models.PositiveBigIntegerField(default=0, editable=False)
    description = models.CharField(max_length=300, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["competition", "name"], name="unique_file_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.file:
            self.size = self.file.size
            self.name = self.name or Path(self.file.name or "").name
        super().save(*args, **kwargs)


def phase_truth_upload_path(phase: "Phase", filename: str) -> str:
    return f"competitions/{phase.competition.slug}/phases/{phase.slug}/truth/{Path(filename).name}"


class Phase(models.Model):
    """One stage of a competition with several (say "Validation", then "Final"): its own dates, truth (with its own
    Public/Private split), daily limit, kinds and leaderboard. A competition without phases is Kaggle's single stage:
    its own dates and truth, nothing to set up."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=40, help_text="In addresses: ?phase=final.")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    truth_file = models.FileField(upload_to=phase_truth_upload_path, max_length=255,
                                  help_text="This phase's hidden answers, in the task's truth format.")
    daily_submission_limit = models.PositiveIntegerField(null=True, blank=True,
                                                         help_text="Empty: the competition's.")
    submission_kinds = models.JSONField(default=list, blank=True, help_text="Empty: the competition's.")
    carry_selected = models.BooleanField(
        default=False, help_text="When this phase starts, each team's selected submissions of the phase before "
                                 "come into it, scored again on its data (models run again).")
    carried_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["order", "start_at"]
        constraints = [models.UniqueConstraint(fields=["competition", "slug"], name="unique_phase_slug")]

    def __str__(self) -> str:
        return f"{self.competition.slug}: {self.name}"

    @property
    def daily_limit(self) -> int:
        return self.daily_submission_limit if self.daily_submission_limit is not None else \
            self.competition.daily_submission_limit

    @property
    def kinds(self) -> list[str]:
        return list(self.submission_kinds or self.competition.submission_kinds)

    def state(self, now: datetime | None = None) -> str:
        """upcoming, active or ended, as a competition's."""
        now = now or timezone.now()
        return UPCOMING if now < self.start_at else ACTIVE if now < self.end_at else ENDED


class ScoringProgram(models.Model):
    """One version of a competition's scoring program (SPEC section 9): its folder as a zip, the hash of its files,
    who saved it and when, and its dry runs. The newest is the one that scores; each score names its version."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="programs")
    version = models.CharField(max_length=16, help_text="The hash of the program's files (names and contents).")
    file = models.FileField(upload_to=program_upload_path, max_length=255, help_text="score.py and its helpers, zipped.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The dry runs of saving it: {"sample": {...}, "empty": {...}}, each {"status", "scores" | "error_code",
    # "message", "log", "seconds"} (competitions/programs.py).
    dry_runs = models.JSONField(default=dict, blank=True)
    faulted_at = models.DateTimeField(null=True, blank=True, editable=False,
                                      help_text="When a submission first found this version at fault (organizers told).")

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.competition.slug} scoring program {self.version}"


def phase_at(competition: Competition, now: datetime | None = None, phases: list[Phase] | None = None) -> Phase | None:
    """The phase a submission made now belongs to: the running one, else the last one started (late submissions);
    None for a single-stage competition (or before the first phase). `phases`: the competition's, if already read."""
    now = now or timezone.now()
    started = [phase for phase in (competition.phases.all() if phases is None else phases) if phase.start_at <= now]
    running = [phase for phase in started if now < phase.end_at]
    chosen = running or started
    return chosen[-1] if chosen else None
