from __future__ import annotations

from django.urls import path

from api import discussions, teams, views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("competitions/", views.CompetitionListView.as_view(), name="api-competitions"),
    path("competitions/<slug:slug>/", views.CompetitionDetailView.as_view(), name="api-competition"),
    path("competitions/<slug:slug>/join/", views.JoinView.as_view(), name="api-join"),
    path("competitions/<slug:slug>/files/", views.FileListView.as_view(), name="api-files"),
    path("competitions/<slug:slug>/files.zip", views.FileArchiveView.as_view(), name="api-files-zip"),
    # File names keep their folder (images/0001.png); the name is only a lookup key, never a path.
    path("competitions/<slug:slug>/files/<path:name>", views.FileDownloadView.as_view(), name="api-file"),
    path("competitions/<slug:slug>/submissions/", views.SubmissionListView.as_view(), name="api-submissions"),
    path("competitions/<slug:slug>/leaderboard/", views.LeaderboardView.as_view(), name="api-leaderboard"),
    path("submissions/<int:submission_id>/", views.SubmissionDetailView.as_view(), name="api-submission"),
    path("submissions/<int:submission_id>/select/", views.SubmissionSelectView.as_view(), name="api-select"),
    path("competitions/<slug:slug>/team/", teams.TeamView.as_view(), name="api-team"),
    path("competitions/<slug:slug>/team/invitations/", teams.TeamInviteView.as_view(), name="api-team-invite"),
    path("competitions/<slug:slug>/team/leave/", teams.TeamLeaveView.as_view(), name="api-team-leave"),
    path("invitations/", teams.InvitationListView.as_view(), name="api-invitations"),
    path("invitations/<str:token>/accept/", teams.InvitationAcceptView.as_view(), name="api-invitation-accept"),
    path("invitations/<str:token>/decline/", teams.InvitationDeclineView.as_view(), name="api-invitation-decline"),
    path("competitions/<slug:slug>/topics/", discussions.TopicListView.as_view(), name="api-topics"),
    path("topics/<int:topic_id>/", discussions.TopicDetailView.as_view(), name="api-topic"),
    path("topics/<int:topic_id>/posts/", discussions.PostListView.as_view(), name="api-posts"),
    path("topics/<int:topic_id>/follow/", discussions.TopicFollowView.as_view(), name="api-topic-follow"),
    path("topics/<int:topic_id>/moderate/", discussions.TopicModerateView.as_view(), name="api-topic-moderate"),
    path("posts/<int:post_id>/", discussions.PostDetailView.as_view(), name="api-post"),
    path("posts/<int:post_id>/report/", discussions.PostReportView.as_view(), name="api-post-report"),
]
