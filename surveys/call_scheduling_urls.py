"""The agent's call scheduling pages, mounted at /agent/schedule/ (wallet_followup/urls.py:
path("agent/schedule/", include("surveys.call_scheduling_urls")))."""

from django.urls import path

from surveys import call_scheduling_views as views

app_name = "scheduling"
urlpatterns = [
    path("", views.find_customer, name="find"),
    path("customer/<str:token>/", views.schedule, name="schedule"),
    path("call/<int:pk>/move/", views.move, name="move"),
]
