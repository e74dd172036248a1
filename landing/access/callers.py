"""Who is calling: the session user, or a machine presenting its API token (`Authorization: Token …`)."""

from django.http import HttpRequest
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from catalogue import visibility


class BadToken(Exception):
    pass


def caller(request: HttpRequest) -> visibility.User:
    """The user behind the request; raises BadToken when a token is presented but unknown or inactive."""
    if request.user.is_authenticated or "HTTP_AUTHORIZATION" not in request.META:
        return request.user
    try:
        authenticated = TokenAuthentication().authenticate(request)
    except AuthenticationFailed as error:
        raise BadToken(str(error.detail)) from None
    return authenticated[0] if authenticated else request.user
