from django.urls import path

from api.organizations import views

urlpatterns = [
    path("organizations", views.OrganizationListView.as_view()),
    path("organizations/<str:org_id>", views.OrganizationDetailView.as_view()),
    path("organizations/<str:org_id>/members", views.MemberListView.as_view()),
    path("organizations/<str:org_id>/members/<str:user_id>", views.MemberDetailView.as_view()),
    path("organizations/<str:org_id>/labels", views.LabelListView.as_view()),
    path("organizations/<str:org_id>/groups", views.GroupListView.as_view()),
    path("organizations/<str:org_id>/api_keys", views.ApiKeyListView.as_view()),
    path("organizations/<str:org_id>/api_keys/<str:key_id>", views.ApiKeyDetailView.as_view()),
    path("organizations/<str:org_id>/invitations", views.OrgInvitationListView.as_view()),
    path(
        "organizations/<str:org_id>/invitations/<str:invitation_id>",
        views.OrgInvitationDetailView.as_view(),
    ),
    path(
        "organizations/<str:org_id>/invitations/<str:invitation_id>/resend",
        views.OrgInvitationResendView.as_view(),
    ),
    path("organizations/<str:org_id>/webhooks", views.WebhookListView.as_view()),
    path(
        "organizations/<str:org_id>/webhooks/<str:webhook_id>",
        views.WebhookDetailView.as_view(),
    ),
    path(
        "organizations/<str:org_id>/webhooks/<str:webhook_id>/deliveries",
        views.WebhookDeliveriesView.as_view(),
    ),
    path("invitations", views.MyInvitationListView.as_view()),
    path("invitations/<str:invitation_id>/accept", views.InvitationAcceptView.as_view()),
    path("invitations/<str:invitation_id>/decline", views.InvitationDeclineView.as_view()),
    path("groups/<str:group_id>", views.GroupDetailView.as_view()),
    path("groups/<str:group_id>/members", views.GroupMembersView.as_view()),
    path("groups/<str:group_id>/members/<str:user_id>", views.GroupMemberDetailView.as_view()),
]
