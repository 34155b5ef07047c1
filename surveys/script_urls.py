"""The survey as a call script, mounted at /agent/script/ (wallet_followup/urls.py:
path("agent/script/", include("surveys.script_urls")))."""

from django.urls import path

from surveys import script_views as views

app_name = "script"
urlpatterns = [
    path("<int:pk>/", views.question, name="question"),
    path("<int:pk>/submit/", views.submit, name="submit"),
]
