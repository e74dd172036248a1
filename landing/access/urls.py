"""Routes for logging in and out, downloads, access requests and opening early (URL names are a contract)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from landing.access.views import accounts, decisions, downloads

urlpatterns = [
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path(
        "login/password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="landing/access/password_set.html", success_url="/login/", post_reset_login=False
        ),
        name="password-set",
    ),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("datasets/<path:pid>/files/<int:file_id>/download", downloads.download_file, name="download-file"),
    path("datasets/<path:pid>/download.zip", downloads.download_dataset, name="download-dataset"),
    path("access/request/<path:pid>", decisions.request_access, name="access-request"),
    path("access/requests/", decisions.pending_requests, name="access-requests"),
    path("access/requests/<int:request_id>", decisions.decide_request, name="access-request-decide"),
    path("access/open/<path:pid>", decisions.open_early, name="open-early"),
]
