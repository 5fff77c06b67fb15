from django.urls import path

from credentials import views

app_name = "credentials"

# URLs with an id name the sub-account (or the channel) first, so another
# team's object is a 404 before anything else is looked at. The master
# account's pages take `?provider=<id>` (only needed with more than one).
urlpatterns = [
    path("", views.inventory, name="inventory"),
    path("posture/", views.posture_page, name="posture"),
    path("master/token/rotate/", views.master_token_rotate, name="master_token_rotate"),
    path(
        "master/console-password/",
        views.console_password_rotate,
        name="master_console_password",
    ),
    path(
        "sub-accounts/<int:pk>/token/rotate/",
        views.subaccount_token_rotate,
        name="subaccount_token_rotate",
    ),
    path("sub-accounts/<int:pk>/drill/", views.drill_start, name="subaccount_drill"),
    path(
        "sub-accounts/<int:pk>/drills/<int:drill_pk>/",
        views.drill_detail,
        name="subaccount_drill_detail",
    ),
    path(
        "sub-accounts/<int:pk>/drills/<int:drill_pk>/resume/",
        views.drill_resume,
        name="subaccount_drill_resume",
    ),
    path(
        "channels/<int:pk>/secret/rotate/",
        views.channel_secret_rotate,
        name="channel_secret_rotate",
    ),
    path(
        "channels/<int:pk>/secret/overlap-end/",
        views.channel_overlap_end,
        name="channel_overlap_end",
    ),
    path("drills/", views.drill_list, name="drill_list"),
]
