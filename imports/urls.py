"""The import pages, mounted at /manager/imports/."""

from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_home, name="home"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/columns/", views.import_mapping, name="mapping"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/errors.csv", views.import_report, name="report"),
]
