"""OpenID Connect login through the PaN community AAI (UmbrellaID, eduTEAMS, Keycloak) on mozilla-django-oidc:
endpoints from the issuer's discovery document, strict token checks, and the mapping of group/entitlement claims
onto Django groups and proposal membership (settings OIDC_*).
"""

import logging
import re
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify, import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from catalogue.models import Document, DocumentKind, Member, Person

logger = logging.getLogger(__name__)

# Role of the memberships this module keeps in step with the provider's claims (others are curated by stewards).
LOGIN_MEMBER_ROLE = "member (from login)"
USERNAME_PREFIX = "oidc:"  # ':' is not allowed in local user names, so a provider can never claim a local account

DISCOVERED_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}


class ProviderError(Exception):
    pass


def provider_metadata() -> dict[str, Any]:
    """The issuer's discovery document, cached for an hour."""
    issuer = settings.OIDC_OP_ISSUER
    key = f"oidc-discovery:{issuer}"
    metadata = cache.get(key)
    if metadata is None:
        try:
            response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            metadata = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderError(f"discovery at {issuer} failed: {error}") from None
        if str(metadata.get("issuer", "")).rstrip("/") != issuer:
            raise ProviderError(f"discovery document of {issuer} names issuer {metadata.get('issuer')!r}")
        cache.set(key, metadata, 3600)
    return metadata


def oidc_setting(name: str, *default: Any) -> Any:
    """A setting by name; provider endpoints not set explicitly come from discovery."""
    explicit = getattr(settings, name, None)
    if explicit:
        return explicit
    if name in DISCOVERED_SETTINGS and settings.OIDC_ENABLED:
        discovered = provider_metadata().get(DISCOVERED_SETTINGS[name])
        if discovered:
            return discovered
    return import_from_settings(name, *default)


def username_for(claims: dict[str, Any]) -> str:
    return f"{USERNAME_PREFIX}{claims['sub']}"[:150]


def map_claims(*, user: User, claims: dict[str, Any]) -> None:
    """Apply the configured rule: groups from matching claim values are added; proposal memberships granted by
    login follow the claims exactly (removed at the provider = removed here)."""
    values = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(values, str):
        values = [values]
    group_rule = re.compile(settings.OIDC_GROUP_PATTERN) if settings.OIDC_GROUP_PATTERN else None
    proposal_rule = re.compile(settings.OIDC_PROPOSAL_PATTERN) if settings.OIDC_PROPOSAL_PATTERN else None
    group_names, proposal_numbers = set(), set()
    for value in map(str, values):
        if group_rule and (match := group_rule.match(value)):
            group_names.add(match.group("group"))
        if proposal_rule and (match := proposal_rule.match(value)):
            proposal_numbers.add(match.group("proposal"))

    with transaction.atomic():
        for name in sorted(group_names):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        person = _person_for(user=user, claims=claims)
        documents = Document.objects.filter(proposal_number__in=proposal_numbers).exclude(kind=DocumentKind.COLLECTION)
        Member.objects.filter(person=person, role=LOGIN_MEMBER_ROLE).exclude(document__in=documents).delete()
        for document in documents:
            Member.objects.get_or_create(
                document=document, person=person, role=LOGIN_MEMBER_ROLE, defaults={"is_creator": False}
            )


def _person_for(*, user: User, claims: dict[str, Any]) -> Person:
    person = Person.objects.filter(user=user).first()
    if person is None:
        person = Person.objects.create(
            user=user,
            full_name=claims.get("name") or user.get_full_name() or user.get_username(),
            first_name=claims.get("given_name") or "",
            last_name=claims.get("family_name") or "",
            email=claims.get("email") or "",
            orcid=str(claims.get("orcid") or "")[-19:],
        )
    return person


class AuthenticationBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc with discovery, issuer/audience/expiry checks, accounts keyed by `sub`, claim mapping."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Endpoints are looked up at authenticate(): a provider outage must never block local logins.
        self.UserModel = get_user_model()

    def _load_provider(self) -> None:
        self.OIDC_OP_TOKEN_ENDPOINT = self.get_settings("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = self.get_settings("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = self.get_settings("OIDC_OP_JWKS_ENDPOINT", None)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or "code" not in request.GET:
            return None
        try:
            self._load_provider()
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, ProviderError, jwt.InvalidTokenError, requests.RequestException) as error:
            logger.warning("OIDC login refused: %s", error)
            return None

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"token signed with {header.get('alg')!r}, expected {self.OIDC_RP_SIGN_ALGO}")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=provider_metadata()["issuer"],
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token rejected: {error}") from None

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        claims = super().get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):  # OIDC Core 5.3.2: userinfo must describe the token's subject
            raise SuspiciousOperation("userinfo subject differs from the ID token's")
        return claims

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(username=username_for(claims))

    def create_user(self, claims: dict[str, Any]) -> User:
        user = self.UserModel(username=username_for(claims))
        user.set_unusable_password()
        return self.update_user(user, claims)

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        user.email = claims.get("email") or user.email
        user.first_name = (claims.get("given_name") or user.first_name)[:150]
        user.last_name = (claims.get("family_name") or user.last_name)[:150]
        user.save()
        map_claims(user=user, claims=claims)
        return user


class AuthenticationRequestView(OIDCAuthenticationRequestView):
    """Starts the code flow; says so plainly when OIDC is not configured or the provider does not answer."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not settings.OIDC_ENABLED:
            return render(request, "landing/access/oidc_unavailable.html", {"configured": False}, status=404)
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderError as error:
            logger.warning("OIDC login cannot start: %s", error)
            return render(request, "landing/access/oidc_unavailable.html", {"configured": True}, status=503)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


def provider_logout_url(request: HttpRequest) -> str:
    """The provider's end-session URL (RP-initiated logout), or the local landing page when it has none."""
    back = absolutify(request, settings.LOGOUT_REDIRECT_URL)
    try:
        endpoint = oidc_setting("OIDC_OP_LOGOUT_ENDPOINT", "")
    except ProviderError:
        return back
    if not endpoint:
        return back
    query = {"post_logout_redirect_uri": back, "client_id": settings.OIDC_RP_CLIENT_ID}
    if id_token := request.session.get("oidc_id_token"):
        query["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(query)}"
