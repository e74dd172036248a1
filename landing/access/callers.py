"""Who is calling: the session user, or a machine presenting its API token (`Authorization: Token …`)."""

from django.http import HttpRequest
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from catalogue import visibility
from catalogue.models import Dataset


class BadToken(Exception):
    pass


def caller(request: HttpRequest) -> visibility.User:
    """The user behind the request; raises BadToken when a token is presented but unknown or inactive."""
    if request.user.is_authenticated or "HTTP_AUTHORIZATION" not in request.META:
        return request.user
    try:
        # DRF's token check reads only request.META, which a plain Django request has.
        authenticated = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed as error:
        raise BadToken(str(error.detail)) from None
    return authenticated[0] if authenticated else request.user


def downloadable_dataset(request: HttpRequest, pid: str) -> tuple[Dataset | None, visibility.User]:
    """The dataset `pid` when the caller may download its files (else None), and the caller; raises BadToken."""
    user = caller(request)
    dataset = (
        visibility.datasets_downloadable_by(user)
        .select_related("proposal__facility", "instrument__facility")
        .filter(pid=pid)
        .first()
    )
    return dataset, user
