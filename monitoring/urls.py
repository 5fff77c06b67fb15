from django.urls import path

from monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.health, name="health"),
    path("requests/", views.apicall_list, name="apicall_list"),
    path("syncs/", views.sync_status, name="sync_status"),
    path("syncs/run/", views.sync_request, name="sync_request"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/new/", views.channel_create, name="channel_create"),
    path("channels/<int:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/delete/", views.channel_delete, name="channel_delete"),
    path("channels/<int:pk>/test/", views.channel_test, name="channel_test"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read, name="notification_read"),
    path("synthetic/", views.synthetic_list, name="synthetic_list"),
    path("synthetic/answer/", views.synthetic_answer, name="synthetic_answer"),
]
