"""The discussion API: a competition's topics, a topic's posts, edits, follows, reports and moderation.

The same services as the Discussion tab; bodies are Markdown as written (`body`) and as shown (`html`, sanitised).
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PARAMETERS as PAGE_PARAMETERS
from api.pagination import paginated
from api.serializers import ErrorSerializer, validated
from api.views import ERRORS, _competition
from core.errors import PodiumError
from core.templatetags.podium_tags import markdown
from core.users import account_of
from discussions import services
from discussions.models import MAX_BODY, MAX_TITLE, Post, Topic
from discussions.selectors import following, moderates, post_visible, posts_of, topic_visible, topics_of

WRITE_ERRORS = {**ERRORS, 409: ErrorSerializer, 429: ErrorSerializer}


class TopicSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, read_only=True)
    competition = serializers.CharField(source="competition.slug", read_only=True)
    answer = serializers.IntegerField(source="answer_id", allow_null=True, read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "competition", "title", "author", "announcement", "pinned", "locked", "hidden", "answer",
                  "reply_count", "created_at", "last_post_at"]


class TopicDetailSerializer(TopicSerializer):
    following = serializers.SerializerMethodField()

    class Meta(TopicSerializer.Meta):
        fields = [*TopicSerializer.Meta.fields, "following"]

    def get_following(self, topic: Topic) -> bool:
        return bool(self.context.get("following"))


class PostSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, read_only=True)
    body = serializers.SerializerMethodField()
    html = serializers.SerializerMethodField()
    quoted = serializers.IntegerField(source="quoted_id", allow_null=True, read_only=True)

    class Meta:
        model = Post
        fields = ["id", "topic", "author", "body", "html", "quoted", "hidden", "created_at", "edited_at"]

    def _shown(self, post: Post) -> bool:
        return not post.hidden or bool(self.context.get("organizer"))

    def get_body(self, post: Post) -> str | None:
        return post.body if self._shown(post) else None

    def get_html(self, post: Post) -> str | None:
        return str(markdown(post.body)) if self._shown(post) else None


class TopicCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_TITLE)
    body = serializers.CharField(max_length=MAX_BODY)
    announcement = serializers.BooleanField(default=False, help_text="Organizers: pinned, and sent to every inbox.")


class PostCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY)
    quote = serializers.IntegerField(required=False, min_value=1, max_value=2**62, help_text="A post of this topic to quote.")


class PostEditSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY, required=False, help_text="The author's edit, within the window.")
    title = serializers.CharField(max_length=MAX_TITLE, required=False, help_text="The opening post's edit: a new title.")
    hidden = serializers.BooleanField(required=False, help_text="Organizers: hide or show the post.")


class FollowSerializer(serializers.Serializer):
    following = serializers.BooleanField()


class ReportSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ModerateSerializer(serializers.Serializer):
    pinned = serializers.BooleanField(required=False)
    locked = serializers.BooleanField(required=False)
    hidden = serializers.BooleanField(required=False)
    answer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62,
                                      help_text="The post that answers the topic; null for none.")


def _topic(topic_id: int, request: Request) -> Topic:
    topic = topic_visible(topic_id=topic_id, user=request.user)
    if topic is None:
        raise PodiumError(PodiumError.NOT_FOUND, f"No topic {topic_id}.", status=404)
    return topic


def _post(post_id: int, request: Request) -> Post:
    post = post_visible(post_id=post_id, user=request.user)
    if post is None:
        raise PodiumError(PodiumError.NOT_FOUND, f"No post {post_id}.", status=404)
    return post


class TopicListView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: TopicSerializer(many=True), **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        topics = topics_of(competition=_competition(slug, request), user=request.user)
        return paginated(request, topics, lambda page: TopicSerializer(page, many=True).data)

    @extend_schema(request=TopicCreateSerializer, responses={201: TopicSerializer, **WRITE_ERRORS})
    def post(self, request: Request, slug: str) -> Response:
        competition = _competition(slug, request)
        topic = services.topic_create(competition=competition, user=account_of(request),
                                      **validated(TopicCreateSerializer, request))
        return Response(TopicSerializer(topic).data, status=status.HTTP_201_CREATED)


class TopicDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: TopicDetailSerializer, 404: ErrorSerializer})
    def get(self, request: Request, topic_id: int) -> Response:
        topic = _topic(topic_id, request)
        context = {"following": following(topic=topic, user=request.user)}
        return Response(TopicDetailSerializer(topic, context=context).data)


class PostListView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: PostSerializer(many=True), **ERRORS})
    def get(self, request: Request, topic_id: int) -> Response:
        topic = _topic(topic_id, request)
        context = {"organizer": moderates(topic=topic, user=request.user)}
        return paginated(request, posts_of(topic=topic), lambda page: PostSerializer(page, many=True, context=context).data)

    @extend_schema(request=PostCreateSerializer, responses={201: PostSerializer, **WRITE_ERRORS})
    def post(self, request: Request, topic_id: int) -> Response:
        topic = _topic(topic_id, request)
        data = validated(PostCreateSerializer, request)
        quote = _post(data["quote"], request) if "quote" in data else None
        post = services.post_create(topic=topic, user=account_of(request), body=data["body"], quote=quote)
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)


class PostDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=PostEditSerializer, responses={200: PostSerializer, **WRITE_ERRORS})
    def patch(self, request: Request, post_id: int) -> Response:
        post, user, data = _post(post_id, request), account_of(request), validated(PostEditSerializer, request)
        if "hidden" in data:
            services.post_moderate(post=post, user=user, hidden=data["hidden"])
        if "body" in data:
            services.post_edit(post=post, user=user, body=data["body"], title=data.get("title"))
        context = {"organizer": moderates(topic=post.topic, user=user)}
        return Response(PostSerializer(post, context=context).data)


class PostReportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ReportSerializer, responses={201: ReportSerializer, **ERRORS})
    def post(self, request: Request, post_id: int) -> Response:
        report = services.post_report(post=_post(post_id, request), user=account_of(request),
                                      reason=validated(ReportSerializer, request)["reason"])
        return Response({"reason": report.reason}, status=status.HTTP_201_CREATED)


class TopicFollowView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=FollowSerializer, responses={200: FollowSerializer, **ERRORS})
    def post(self, request: Request, topic_id: int) -> Response:
        wanted = validated(FollowSerializer, request)["following"]
        return Response({"following": services.topic_follow(topic=_topic(topic_id, request), user=account_of(request),
                                                            following=wanted)})


class TopicModerateView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ModerateSerializer, responses={200: TopicSerializer, **ERRORS})
    def post(self, request: Request, topic_id: int) -> Response:
        topic, user, data = _topic(topic_id, request), account_of(request), validated(ModerateSerializer, request)
        answer = data.pop("answer", False)
        topic = services.topic_moderate(topic=topic, user=user, **data)
        if answer is not False:
            topic = services.topic_answer(topic=topic, user=user, answer=None if answer is None else _post(answer, request))
        return Response(TopicSerializer(topic).data)
