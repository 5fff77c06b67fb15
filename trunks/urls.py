from django.urls import path

from trunks import views

app_name = "trunks"

# Every URL with an id names the trunk first (the tenant matrix's "trunk"
# family): another team's trunk is a 404 before anything else is looked at.
urlpatterns = [
    path("", views.trunk_list, name="trunk_list"),
    path("new/", views.trunk_create, name="trunk_create"),
    # The ticket travels in the query string: it is not an object id.
    path("secret/", views.secret_show, name="secret_show"),
    path("<int:pk>/", views.trunk_detail, name="trunk_detail"),
    path("<int:pk>/edit/", views.trunk_edit, name="trunk_edit"),
    path("<int:pk>/delete/", views.trunk_delete, name="trunk_delete"),
    path("<int:pk>/whitelist/", views.whitelist_add, name="trunk_whitelist_add"),
    path(
        "<int:pk>/whitelist/<int:entry_pk>/remove/",
        views.whitelist_remove,
        name="trunk_whitelist_remove",
    ),
    path("<int:pk>/rotate/", views.rotation_start, name="trunk_rotate"),
    path(
        "<int:pk>/rotation-request/",
        views.rotation_request,
        name="trunk_rotation_request",
    ),
    path(
        "<int:pk>/rotations/<int:job_pk>/",
        views.rotation_detail,
        name="trunk_rotation_detail",
    ),
    path(
        "<int:pk>/rotations/<int:job_pk>/resume/",
        views.rotation_resume,
        name="trunk_rotation_resume",
    ),
    path(
        "<int:pk>/rotations/<int:job_pk>/cancel/",
        views.rotation_cancel,
        name="trunk_rotation_cancel",
    ),
    path(
        "<int:pk>/rotations/<int:job_pk>/reveal/",
        views.rotation_reveal,
        name="trunk_rotation_reveal",
    ),
]
