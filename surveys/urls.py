from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [path("queue/", views.agent_queue, name="agent-queue")]
