from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tickets:chat", permanent=False)),
    # Browsers ask for /favicon.ico on every page; without this each request logged a 404.
    path("favicon.ico", RedirectView.as_view(url=static("supportdesk/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/knowledge/", include("knowledge.api_urls")),
    path("api/", include("tickets.api_urls")),
    path("", include("tickets.urls")),
    path("", include("knowledge.urls")),
    path("", include("escalation.urls")),
]
