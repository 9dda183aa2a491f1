from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("kb/<str:slug>/", views.article_page, name="article"),
]
