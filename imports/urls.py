"""The import pages, mounted at /manager/imports/."""

from django.urls import path  # noqa: F401

app_name = "imports"
urlpatterns: list = []
