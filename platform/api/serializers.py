"""Input and output shapes of the API (SPEC section 5)."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from competitions.models import SUBMISSION_KINDS, Competition, Phase, phase_at
from submissions.models import Submission
from submissions.selectors import queue_places


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(required=False, max_length=100, help_text="A label for the new token (e.g. the machine).")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class CompetitionSerializer(serializers.ModelSerializer):
    metric = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    start = serializers.DateTimeField(source="start_at")
    end = serializers.DateTimeField(source="end_at")

    class Meta:
        model = Competition
        fields = ["slug", "title", "task", "metric", "start", "end", "state"]

    def get_metric(self, competition: Competition) -> str:
        return competition.ranking_metric

    def get_state(self, competition: Competition) -> str:
        return competition.state()


class PhaseSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    start = serializers.DateTimeField(source="start_at")
    end = serializers.DateTimeField(source="end_at")
    daily_submission_limit = serializers.IntegerField(source="daily_limit")
    submission_kinds = serializers.ListField(child=serializers.CharField(), source="kinds")
    carry_selected = serializers.BooleanField()


class CompetitionDetailSerializer(CompetitionSerializer):
    subtitle = serializers.CharField()
    phases = PhaseSerializer(many=True, read_only=True, help_text="Empty: a single stage (Kaggle's).")
    phase = serializers.SerializerMethodField()
    reveal = serializers.DateTimeField(source="reveal_time")
    higher_is_better = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    submission_kinds = serializers.ListField(child=serializers.CharField())
    daily_submission_limit = serializers.IntegerField()
    remaining_submissions_today = serializers.SerializerMethodField()
    quota_resets_at = serializers.SerializerMethodField()
    joined = serializers.SerializerMethodField()
    rules = serializers.CharField(help_text="The rules, in Markdown: joining accepts them.")

    class Meta(CompetitionSerializer.Meta):
        fields = CompetitionSerializer.Meta.fields + [
            "subtitle", "rules", "reveal", "higher_is_better", "metrics", "classes", "submission_kinds",
            "daily_submission_limit", "max_team_size", "final_selection_limit",
            "remaining_submissions_today", "quota_resets_at", "joined", "phases", "phase",
        ]

    def get_phase(self, competition: Competition) -> str | None:
        """The running phase's slug (or the last one started); null without phases."""
        phase = phase_at(competition)
        return phase.slug if phase else None

    def get_higher_is_better(self, competition: Competition) -> bool:
        return competition.higher_is_better

    def get_metrics(self, competition: Competition) -> list[str]:
        return list(competition.task_type.metrics)

    def get_remaining_submissions_today(self, competition: Competition) -> int | None:
        quota = self.context.get("quota")
        return quota.remaining if quota else None

    def get_quota_resets_at(self, competition: Competition) -> str | None:
        quota = self.context.get("quota")
        return quota.resets_at.isoformat() if quota else None

    def get_joined(self, competition: Competition) -> bool:
        return bool(self.context.get("membership"))


class JoinSerializer(serializers.Serializer):
    accept_rules = serializers.BooleanField(default=False)


class JoinResultSerializer(serializers.Serializer):
    competition = serializers.CharField()
    team = serializers.CharField()
    rules_accepted = serializers.BooleanField()


class CompetitionFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField()
    description = serializers.CharField()
    url = serializers.CharField()


class SubmissionCreateSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)  # refused by the service, with its own code: empty-file
    kind = serializers.ChoiceField(choices=SUBMISSION_KINDS, default="predictions")
    description = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class QueuePlaceSerializer(serializers.Serializer):
    queue = serializers.ChoiceField(choices=["scoring", "inference"])
    position = serializers.IntegerField(help_text="1: the next to start")
    eta_seconds = serializers.IntegerField(
        allow_null=True, help_text="The runs ahead and running, at the last ten minutes' mean run time; 0: starting now; "
                                   "null if none finished")


class SubmissionSerializer(serializers.ModelSerializer):
    competition: serializers.SlugRelatedField[Competition] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    phase: serializers.SlugRelatedField[Phase] = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    team = serializers.CharField(source="team.name", read_only=True)
    private_score = serializers.SerializerMethodField()
    scores = serializers.JSONField(source="public_scores", read_only=True)
    private_scores = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    queue = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id", "competition", "phase", "team", "kind", "status", "description", "public_score", "private_score",
            "scores", "private_scores", "error", "created_at", "scored_at", "duration_ms", "selected", "queue",
        ]

    def _private_visible(self) -> bool:
        return bool(self.context.get("private_visible"))

    def get_private_score(self, submission: Submission) -> float | None:
        return submission.private_score if self._private_visible() else None

    def get_private_scores(self, submission: Submission) -> dict[str, Any] | None:
        return submission.private_scores if self._private_visible() and submission.private_scores else None

    @extend_schema_field(QueuePlaceSerializer(allow_null=True))
    def get_queue(self, submission: Submission) -> dict[str, object] | None:
        """While queued: its place in its queue and the estimated seconds until it starts."""
        places = self.context.get("queue_places")
        if places is None:
            places = queue_places(submissions=[submission])
        place = places.get(submission.pk)
        return place.as_dict() if place else None

    def get_error(self, submission: Submission) -> dict[str, str] | None:
        if not submission.error_code:
            return None
        return {"code": submission.error_code, "message": submission.shown_error_message}


class SelectSerializer(serializers.Serializer):
    selected = serializers.BooleanField()


class LeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    team = serializers.CharField()
    score = serializers.FloatField()
    scores = serializers.DictField(child=serializers.FloatField(), help_text="Every metric of the deciding submission.")
    submission_count = serializers.IntegerField()
    last_submission_at = serializers.DateTimeField()
    members = serializers.ListField(child=serializers.CharField(),
                                    help_text="The team's usernames: each has a public profile at /u/<username>/.")


class LeaderboardSerializer(serializers.Serializer):
    metric = serializers.CharField()
    board = serializers.CharField()
    phase = serializers.CharField(allow_null=True, help_text="The phase's slug; null without phases.")
    higher_is_better = serializers.BooleanField()
    count = serializers.IntegerField(help_text="Teams on the board (or matching `q`).")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    entries = LeaderboardEntrySerializer(many=True)
    mine = LeaderboardEntrySerializer(allow_null=True, help_text="The caller's team where it is not on this page.")


def validated(serializer: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request's body as `serializer` reads it; a 400 naming the field otherwise."""
    data = serializer(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)
