from django.urls import path

from cms import views

app_name = "cms"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("cases/<int:page_id>/perspective/", views.case_perspective, name="case_perspective"),
]
