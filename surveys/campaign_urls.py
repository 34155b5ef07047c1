"""Manager pages for campaigns, mounted at /manager/campaigns/."""

from django.urls import path

from surveys import campaign_views as views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/progress/", views.campaign_progress, name="progress"),
    path("<int:pk>/launch/", views.change_campaign_state, {"action": "launch"}, name="launch"),
    path("<int:pk>/pause/", views.change_campaign_state, {"action": "pause"}, name="pause"),
    path("<int:pk>/resume/", views.change_campaign_state, {"action": "resume"}, name="resume"),
    path("<int:pk>/finish/", views.change_campaign_state, {"action": "finish"}, name="finish"),
]
