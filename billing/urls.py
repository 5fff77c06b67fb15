from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.index, name="index"),
    path("balance/", views.balance, name="balance"),
    path("transactions/", views.transaction_list, name="transaction_list"),
    path(
        "transactions/export.csv",
        views.transaction_export,
        name="transaction_export",
    ),
    path("cdrs/", views.cdr_report, name="cdr_report"),
    path("cdrs/export.csv", views.cdr_export, name="cdr_export"),
    path("cdrs/<int:pk>/", views.cdr_detail, name="cdr_detail"),
    path("spend/", views.spend, name="spend"),
    path("budgets/<int:pk>/", views.budget_edit, name="budget_edit"),
    path("budgets/<int:pk>/remove/", views.budget_remove, name="budget_remove"),
]
