from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.manager_home, name="manager-home"),
    path("team/", views.team_view, name="team"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("dashboard/blocks/", views.dashboard_fragment, name="dashboard-blocks"),
    path("dashboard/export.csv", views.dashboard_export, {"file_format": "csv"}, name="dashboard-export-csv"),
    path("dashboard/export.xlsx", views.dashboard_export, {"file_format": "xlsx"}, name="dashboard-export-xlsx"),
]
