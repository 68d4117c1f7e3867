from django.urls import URLPattern

app_name = "disputes"

urlpatterns: list[URLPattern] = []
