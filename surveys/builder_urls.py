"""Managers' survey builder, mounted at /manager/surveys/."""

from django.urls import path

from surveys import builder_views as views

app_name = "builder"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/edit/", views.survey_edit, name="edit"),
    path("<int:pk>/publish/", views.survey_publish, name="publish"),
    path("<int:pk>/new-version/", views.survey_new_version, name="new_version"),
    path("<int:pk>/preview/", views.survey_preview, name="preview"),
    path("<int:pk>/questions/new/", views.question_create, name="question_create"),
    path("<int:pk>/questions/<int:question_pk>/edit/", views.question_edit, name="question_edit"),
    path("<int:pk>/questions/<int:question_pk>/delete/", views.question_delete, name="question_delete"),
    path("<int:pk>/questions/<int:question_pk>/up/", views.question_move, {"direction": "up"}, name="question_up"),
    path(
        "<int:pk>/questions/<int:question_pk>/down/",
        views.question_move,
        {"direction": "down"},
        name="question_down",
    ),
]
