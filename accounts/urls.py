from django.urls import path

from accounts import auth_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.login, name="login"),
    path("logout/", auth_views.logout, name="logout"),
    path("password/change/", auth_views.password_change, name="password_change"),
    path(
        "password/change/done/",
        auth_views.password_change_done,
        name="password_change_done",
    ),
    path(
        "password/set/<uidb64>/<token>/", auth_views.password_set, name="password_set"
    ),
    path("password/set/done/", auth_views.password_set_done, name="password_set_done"),
    path("login/verify/", auth_views.otp_verify, name="otp_verify"),
    path("account/2fa/", auth_views.otp_manage, name="otp_manage"),
    path("account/2fa/setup/", auth_views.otp_setup, name="otp_setup"),
    path("account/2fa/codes/", auth_views.otp_backup_codes, name="otp_backup_codes"),
    path("account/2fa/disable/", auth_views.otp_disable, name="otp_disable"),
    path("users/<int:pk>/2fa-reset/", auth_views.otp_reset, name="otp_reset"),
    path("sub-accounts/", views.subaccount_list, name="subaccount_list"),
    path("sub-accounts/new/", views.subaccount_create, name="subaccount_create"),
    path("sub-accounts/<int:pk>/", views.subaccount_detail, name="subaccount_detail"),
    path("sub-accounts/<int:pk>/edit/", views.subaccount_edit, name="subaccount_edit"),
    path(
        "sub-accounts/<int:pk>/toggle/",
        views.subaccount_toggle,
        name="subaccount_toggle",
    ),
    path(
        "sub-accounts/<int:pk>/delete/",
        views.subaccount_delete,
        name="subaccount_delete",
    ),
    path(
        "sub-accounts/<int:pk>/create-at-vobiz/",
        views.subaccount_push,
        name="subaccount_push",
    ),
    path(
        "sub-accounts/<int:pk>/token/", views.subaccount_token, name="subaccount_token"
    ),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/active/", views.user_toggle_active, name="user_toggle_active"),
    path("users/<int:pk>/link/", views.user_link, name="user_link"),
    path("users/<int:pk>/memberships/", views.membership_add, name="membership_add"),
    path(
        "memberships/<int:pk>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
]
