"""URLs of the wording pages, mounted at /manager/."""

from django.urls import path

from surveys import wording_views

app_name = "wording"
urlpatterns = [
    path("messages/", wording_views.message_list, name="list"),
    path("messages/<slug:kind>/<slug:channel>/<slug:language>/", wording_views.message_edit, name="edit"),
]
