"""The agent's call page, mounted at /agent/calls/ (wallet_followup/urls.py:
path("agent/calls/", include("surveys.console_urls")))."""

from django.urls import path

from surveys import console_views as views

app_name = "console"
urlpatterns = [
    path("<int:pk>/", views.call, name="call"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/outcome/", views.record_outcome, name="outcome"),
]
