from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("queue/", views.agent_queue, name="agent-queue"),
    path("queue/rows/", views.agent_queue_rows, name="agent-queue-rows"),
    path("queue/<int:pk>/claim/", views.claim, name="claim"),
    path("queue/<int:pk>/release/", views.release, name="release"),
]
