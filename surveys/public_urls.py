"""URLs of the customers' survey pages, mounted at /s/. The opt-out page (/s/<token>/opt-out/) is in trust_urls."""

from django.urls import path

from surveys import public_views

app_name = "public"
urlpatterns = [
    # Before the token patterns: "preview" is not a token.
    path("preview/<int:pk>/<str:lang>/", public_views.preview, name="preview"),
    path("<str:token>/", public_views.survey, name="survey"),
    path("<str:token>/language/", public_views.choose_language, name="language"),
    path("<str:token>/thanks/", public_views.thanks, name="thanks"),
]
