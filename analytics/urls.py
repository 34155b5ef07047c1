from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.manager_home, name="manager-home"),
    path("team/", views.team_view, name="team"),
]
