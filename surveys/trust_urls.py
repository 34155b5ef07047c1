"""URLs of the trust pages, mounted at the site root: opt-out, "is this really from my bank?", concern words."""

from django.urls import path

from surveys import trust_views as views

app_name = "trust"
urlpatterns = [
    path("s/<str:token>/opt-out/", views.opt_out, name="opt-out"),
    path("s/<str:token>/opt-out/one-click/", views.opt_out_one_click, name="opt-out-one-click"),
    path("verify/", views.verify, name="verify"),
    path("manager/concern-words/", views.concern_words, name="concern-words"),
    path("manager/concern-words/add/", views.concern_word_add, name="concern-word-add"),
    path("manager/concern-words/<int:pk>/delete/", views.concern_word_delete, name="concern-word-delete"),
]
