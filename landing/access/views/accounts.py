"""Log in (local account, or the PaN AAI through OpenID Connect when configured) and log out."""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from landing.access import oidc


class LoginView(auth_views.LoginView):
    template_name = "landing/access/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        context["oidc_provider_name"] = settings.OIDC_PROVIDER_NAME
        context["oidc_failed"] = self.request.GET.get("failed") == "oidc"
        return context


login = LoginView.as_view()


@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponseBase:
    """GET asks for confirmation (a link must not log anyone out); POST logs out here and at the provider."""
    if request.method == "GET":
        return render(request, "landing/access/logout.html")
    target = settings.LOGOUT_REDIRECT_URL
    if request.user.is_authenticated and settings.OIDC_ENABLED and request.session.get("oidc_id_token"):
        target = oidc.provider_logout_url(request)
    auth.logout(request)
    return HttpResponseRedirect(target)
