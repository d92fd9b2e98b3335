from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.ratelimit import limit_login_attempts
from podium.health import health
from accounts.views import profile, signup
from competitions import views as competitions
from discussions import views as discussions
from leaderboards import views as leaderboards
from notifications.views import inbox
from profiles.views import participant
from submissions import views as submissions
from teams import views as teams

urlpatterns = [
    path("", competitions.competition_list, name="competition-list"),
    path("c/<slug:slug>/", competitions.competition_detail, name="competition-detail"),
    path("c/<slug:slug>/data/", competitions.competition_data, name="competition-data"),
    path("c/<slug:slug>/data/all.zip", competitions.competition_data_zip, name="competition-data-zip"),
    path("c/<slug:slug>/evaluation/", competitions.competition_evaluation, name="competition-evaluation"),
    path("c/<slug:slug>/rules/", competitions.competition_rules, name="competition-rules"),
    path("c/<slug:slug>/thumbnails/<path:name>", competitions.competition_thumbnail, name="competition-thumbnail"),
    path("c/<slug:slug>/join/", competitions.competition_join, name="competition-join"),
    path("c/<slug:slug>/leaderboard/", leaderboards.leaderboard, name="leaderboard"),
    path("c/<slug:slug>/leaderboard/table/", leaderboards.leaderboard_fragment, name="leaderboard-fragment"),
    path("c/<slug:slug>/leaderboard/events/", leaderboards.leaderboard_events, name="leaderboard-events"),
    path("c/<slug:slug>/discussion/", discussions.discussion_list, name="discussion"),
    path("c/<slug:slug>/discussion/new/", discussions.topic_new, name="discussion-new"),
    path("c/<slug:slug>/discussion/<int:topic_id>/", discussions.topic_detail, name="discussion-topic"),
    path("c/<slug:slug>/discussion/<int:topic_id>/action/", discussions.topic_action, name="discussion-topic-action"),
    path("c/<slug:slug>/discussion/posts/<int:post_id>/action/", discussions.post_action, name="discussion-post-action"),
    path("c/<slug:slug>/discussion/posts/<int:post_id>/edit/", discussions.post_edit, name="discussion-post-edit"),
    path("c/<slug:slug>/submit/", submissions.submission_new, name="submission-new"),
    path("c/<slug:slug>/team/", teams.team_page, name="team"),
    path("invites/<str:token>/", teams.invite_page, name="invite"),
    path("c/<slug:slug>/submissions/", submissions.my_submissions, name="my-submissions"),
    path("c/<slug:slug>/submissions/table/", submissions.my_submissions_fragment, name="my-submissions-fragment"),
    path("c/<slug:slug>/submissions/events/", submissions.my_submissions_events, name="my-submissions-events"),
    path("submissions/<int:submission_id>/", submissions.submission_detail, name="submission-detail"),
    path("submissions/<int:submission_id>/events/", submissions.submission_events, name="submission-events"),
    path("submissions/<int:submission_id>/overlay.png", submissions.submission_overlay, name="submission-overlay"),
    path("accounts/login/", limit_login_attempts(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", signup, name="signup"),
    path("accounts/password/", limit_login_attempts(auth_views.PasswordChangeView.as_view(
        success_url=reverse_lazy("password_change_done")), what="password change"), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", limit_login_attempts(auth_views.PasswordResetView.as_view(
        success_url=reverse_lazy("password_reset_done")), account_field="email", what="password reset"),
        name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/", limit_login_attempts(auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("password_reset_complete")), what="password reset"), name="password_reset_confirm"),
    path("accounts/password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("accounts/profile/", profile, name="profile"),
    path("u/<str:username>/", participant, name="participant"),
    path("inbox/", inbox, name="inbox"),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.forbidden"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
