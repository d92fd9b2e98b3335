"""The Discussion tab of a competition: its topics, one topic's posts, and the forms that write to them."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from competitions.models import Competition
from competitions.selectors import competition_or_404
from competitions.views import competition_context
from core.errors import PodiumError
from core.users import SignedInRequest, signed_in
from discussions import services
from discussions.models import MAX_BODY, MAX_TITLE, Post, Topic
from discussions.selectors import (following, moderation_for, post_url, post_visible, posts_page, topic_visible,
                                   topics_page)

TOPIC_SWITCHES = {"pin": ("pinned", True), "unpin": ("pinned", False), "lock": ("locked", True),
                  "unlock": ("locked", False), "hide": ("hidden", True), "unhide": ("hidden", False)}


def _context(request: HttpRequest, competition: Competition) -> dict[str, Any]:
    context = competition_context(request, competition, "discussion")
    context.update(moderation=moderation_for(competition=competition, user=request.user), max_body=MAX_BODY,
                   max_title=MAX_TITLE)
    return context


def _topic_or_404(request: HttpRequest, slug: str, topic_id: int) -> Topic:
    topic = topic_visible(topic_id=topic_id, user=request.user, slug=slug)
    if topic is None:
        raise Http404("No such topic")
    return topic


def discussion_list(request: HttpRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = _context(request, competition)
    context["page"] = topics_page(competition=competition, user=request.user, page=request.GET.get("page"))
    return render(request, "discussions/list.html", context)


@login_required
def topic_new(request: SignedInRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = _context(request, competition)
    if request.method == "POST":
        try:
            topic = services.topic_create(competition=competition, user=request.user,
                                          title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                                          announcement=request.POST.get("announcement") == "on")
        except PodiumError as exc:
            context["error"] = exc
        else:
            return redirect(topic.get_absolute_url())
    context["form"] = request.POST
    return render(request, "discussions/new.html", context)


def topic_detail(request: HttpRequest, slug: str, topic_id: int) -> HttpResponse:
    topic = _topic_or_404(request, slug, topic_id)
    context = _context(request, topic.competition)
    if request.method == "POST":
        if not signed_in(request.user):
            return redirect_to_login(request.get_full_path())
        quote = post_visible(post_id=int(request.POST["quote"]), user=request.user) \
            if request.POST.get("quote", "").isdigit() else None
        try:
            post = services.post_create(topic=topic, user=request.user, body=request.POST.get("body", ""), quote=quote)
        except PodiumError as exc:
            context.update(error=exc, draft=request.POST.get("body", ""), quote=quote)
        else:
            return redirect(post_url(post))
    elif request.GET.get("quote", "").isdigit():
        context["quote"] = post_visible(post_id=int(request.GET["quote"]), user=request.user)
    context.update(topic=topic, page=posts_page(topic=topic, page=request.GET.get("page")),
                   following=following(topic=topic, user=request.user))
    return render(request, "discussions/topic.html", context, status=getattr(context.get("error"), "status", 200))


@login_required
@require_POST
def topic_action(request: SignedInRequest, slug: str, topic_id: int) -> HttpResponse:
    """Follow or stop following; organizers: pin, lock, hide (and undo each)."""
    topic = _topic_or_404(request, slug, topic_id)
    action = request.POST.get("action", "")
    try:
        if action in ("follow", "unfollow"):
            services.topic_follow(topic=topic, user=request.user, following=action == "follow")
        elif action in TOPIC_SWITCHES:
            field, value = TOPIC_SWITCHES[action]
            services.topic_moderate(topic=topic, user=request.user, **{field: value})
        else:
            raise PodiumError(PodiumError.INVALID, f"Unknown action {action[:40]!r}.")
    except PodiumError as exc:
        messages.error(request, exc.message)
    return redirect(topic.get_absolute_url())


@login_required
@require_POST
def post_action(request: SignedInRequest, slug: str, post_id: int) -> HttpResponse:
    """Report a post; organizers: hide it, or mark it (or nothing) as the topic's answer."""
    post = _post_or_404(request, slug, post_id)
    action = request.POST.get("action", "")
    try:
        if action == "report":
            services.post_report(post=post, user=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "Thank you: the organizers were told.")
        elif action in ("hide", "unhide"):
            services.post_moderate(post=post, user=request.user, hidden=action == "hide")
        elif action in ("answer", "unanswer"):
            services.topic_answer(topic=post.topic, user=request.user, answer=post if action == "answer" else None)
        else:
            raise PodiumError(PodiumError.INVALID, f"Unknown action {action[:40]!r}.")
    except PodiumError as exc:
        messages.error(request, exc.message)
    return redirect(post_url(post))


@login_required
def post_edit(request: SignedInRequest, slug: str, post_id: int) -> HttpResponse:
    post = _post_or_404(request, slug, post_id)
    opening = post.topic.posts.order_by("created_at", "id").first() == post
    context = _context(request, post.topic.competition)
    context.update(post=post, topic=post.topic, opening=opening, draft=post.body)
    if request.method == "POST":
        try:
            services.post_edit(post=post, user=request.user, body=request.POST.get("body", ""),
                               title=request.POST.get("title") if opening else None)
        except PodiumError as exc:
            context.update(error=exc, draft=request.POST.get("body", ""))
        else:
            return redirect(post_url(post))
    return render(request, "discussions/edit.html", context)


def _post_or_404(request: HttpRequest, slug: str, post_id: int) -> Post:
    post = post_visible(post_id=post_id, user=request.user)
    if post is None or post.topic.competition.slug != slug:
        raise Http404("No such post")
    return post
