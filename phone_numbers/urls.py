from django.urls import path

from phone_numbers import views

app_name = "phone_numbers"

urlpatterns = [
    path("", views.number_list, name="number_list"),
    path("utilization/", views.utilization, name="utilization"),
    path("<int:pk>/", views.number_detail, name="number_detail"),
    path("<int:pk>/trunk/", views.number_trunk, name="number_trunk"),
    path("<int:pk>/move/", views.number_move, name="number_move"),
    path("<int:pk>/release/", views.number_release, name="number_release"),
    path(
        "<int:pk>/release/undo/",
        views.number_release_undo,
        name="number_release_undo",
    ),
    path("requests/", views.request_list, name="request_list"),
    path("requests/queue/", views.request_queue, name="request_queue"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path(
        "requests/<int:pk>/inventory/",
        views.request_inventory,
        name="request_inventory",
    ),
    path("requests/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("requests/<int:pk>/reject/", views.request_reject, name="request_reject"),
]
