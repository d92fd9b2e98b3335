"""A discussion per competition: topics, their posts (the first one opens the topic), who follows a topic, and
reports of posts to the organizers.

Bodies are Markdown as written; pages render them through the same sanitiser as a competition's overview.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

MAX_TITLE = 200
MAX_BODY = 20_000


class Topic(models.Model):
    competition = models.ForeignKey("competitions.Competition", on_delete=models.CASCADE, related_name="topics")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=MAX_TITLE)
    announcement = models.BooleanField(default=False, help_text="Posted by an organizer to every participant.")
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False, help_text="No new replies, but from organizers.")
    hidden = models.BooleanField(default=False, help_text="Seen by organizers only.")
    answer = models.ForeignKey("Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               help_text="The reply an organizer marked as answering the topic.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_post_at = models.DateTimeField()
    reply_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-pinned", "-last_post_at", "-id"]
        # The list's query walks this index in its order: pinned first, then the most recently active; `hidden`
        # last so that the participants' filter reads the index alone and the organizers' (all topics) the same.
        indexes = [models.Index(fields=["competition", "-pinned", "-last_post_at", "-id", "hidden"],
                                name="topic_order")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("discussion-topic", args=[self.competition.slug, self.pk])


class Post(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=MAX_BODY)
    quoted = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False, help_text="Hidden by an organizer: its text is shown to organizers only.")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["topic", "created_at", "id"]), models.Index(fields=["author", "created_at"])]

    def __str__(self) -> str:
        return f"post {self.pk} in {self.topic_id}"


class Follow(models.Model):
    """Someone told of each new reply in a topic (its author and each replier follow it until they stop)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="one_follow_per_topic_and_user")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.topic_id}"


class Report(models.Model):
    """A post someone asked the organizers to look at, with their reason."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "reporter"], name="one_report_per_post_and_user")]

    def __str__(self) -> str:
        return f"report of {self.post_id}"
