"""The case pages, mounted at /cases/ (wallet_followup/urls.py: path("cases/", include("surveys.case_urls")))."""

from django.urls import path

from surveys import case_views as views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/extend/", views.extend, name="extend"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/complex/", views.mark_complex, name="complex"),
]
