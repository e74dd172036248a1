"""Access requests to embargoed proposals: a scientist (or a guest by e-mail) asks with a reason, the PI or a
steward grants (time-limited) or refuses, and every step is told by e-mail (access-policy.md § Embargo).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from catalogue import visibility
from catalogue.models import AccessGrant, AccessRequest, Document
from catalogue.services import opening
from catalogue.services.mail import proposal_label


class AccessRequestError(Exception):
    """The request or decision cannot be accepted; the message says why, for the person who tried."""


def may_decide(user: visibility.User, document: Document) -> bool:
    return visibility.is_steward(user) or opening.is_principal_investigator(user, document)


def requestable(document: Document) -> bool:
    """Access can be asked for data under embargo only, never for a withdrawn record."""
    return document.withdrawn_at is None and not visibility.is_open(document)


def submit(
    *,
    document: Document,
    reason: str,
    user: visibility.User | None = None,
    guest_name: str = "",
    guest_email: str = "",
) -> AccessRequest:
    """Record a request and tell the deciders and the requester. Raises AccessRequestError."""
    reason = reason.strip()
    if not reason:
        raise AccessRequestError("Please say why you need the data.")
    if not requestable(document):
        raise AccessRequestError("These data are not under embargo: no request is needed.")
    account = user if user is not None and user.is_authenticated else None
    signed_in = account is not None
    if account is not None:
        if visibility.is_team_member(account, document) or visibility.is_steward(account):
            raise AccessRequestError("You already have access to these data.")
        if AccessRequest.objects.filter(document=document, user=account, state=AccessRequest.State.PENDING).exists():
            raise AccessRequestError("You already asked; the team has not decided yet.")
    elif not (guest_name.strip() and guest_email.strip()):
        raise AccessRequestError("Please give your name and e-mail address, or log in.")
    access_request = AccessRequest.objects.create(
        document=document,
        user=account,
        guest_name="" if signed_in else guest_name.strip(),
        guest_email="" if signed_in else guest_email.strip(),
        reason=reason,
    )
    transaction.on_commit(lambda: _mail_submitted(access_request))
    return access_request


def decide(
    *,
    access_request: AccessRequest,
    by: visibility.User,
    grant: bool,
    expires_at: datetime | None = None,
    note: str = "",
) -> AccessRequest:
    """Grant (until `expires_at`, by default ACCESS_GRANT_DEFAULT_DAYS) or refuse, once.

    Raises AccessRequestError when `by` may not decide, the request was decided already, or the date is past.
    """
    document = access_request.document
    if not by.is_authenticated or not may_decide(by, document):
        raise AccessRequestError("Only the principal investigator or a data steward can decide on this request.")
    now = timezone.now()
    if grant:
        expires_at = expires_at or now + timedelta(days=settings.ACCESS_GRANT_DEFAULT_DAYS)
        if expires_at <= now:
            raise AccessRequestError("The access must end in the future.")
    state = AccessRequest.State.GRANTED if grant else AccessRequest.State.REFUSED
    with transaction.atomic():
        decided = AccessRequest.objects.filter(pk=access_request.pk, state=AccessRequest.State.PENDING).update(
            state=state, decided_by=by, decided_at=now, decision_note=note.strip()
        )
        if not decided:
            raise AccessRequestError("This request was decided already.")
        access_request.refresh_from_db()
        new_account = False
        if grant:
            if access_request.user is None:
                access_request.user, new_account = _guest_account(access_request)
                access_request.save(update_fields=["user"])
            AccessGrant.objects.create(
                document=document, user=access_request.user, granted_by=by, expires_at=expires_at
            )
        transaction.on_commit(lambda: _mail_decided(access_request, expires_at=expires_at, new_account=new_account))
    return access_request


def _guest_account(access_request: AccessRequest) -> tuple[User, bool]:
    """The local account a granted guest logs in with: found by e-mail, or made without a password."""
    users = get_user_model()
    email = access_request.guest_email
    existing = users.objects.filter(Q(email__iexact=email) | Q(username=email[:150])).order_by("pk").first()
    if existing is not None:
        return existing, False
    first, _, last = access_request.guest_name.partition(" ")
    user = users(username=email[:150], email=email)
    user.first_name, user.last_name = first[:150], last[:150]
    user.set_unusable_password()
    user.save()
    return user, True


def _requester(access_request: AccessRequest) -> tuple[str, str]:
    if access_request.user is not None:
        user = access_request.user
        return user.get_full_name() or user.get_username(), user.email
    return access_request.guest_name, access_request.guest_email


def decider_addresses(document: Document) -> list[str]:
    addresses = {member.person.email for member in opening.principal_investigators(document)}
    if settings.DATA_OFFICE_EMAIL:
        addresses.add(settings.DATA_OFFICE_EMAIL)
    else:
        stewards = get_user_model().objects.filter(groups__name=visibility.STEWARDS_GROUP, is_active=True)
        addresses |= set(stewards.exclude(email="").values_list("email", flat=True))
    return sorted(addresses)


def _mail_submitted(access_request: AccessRequest) -> None:
    document = access_request.document
    name, email = _requester(access_request)
    decide_url = settings.SITE_URL + reverse("access-request-decide", kwargs={"request_id": access_request.pk})
    send_mail(
        f"Access request for {proposal_label(document)}",
        f"{name} <{email}> asks for access to the embargoed data of {proposal_label(document)}.\n\n"
        f"Reason:\n{access_request.reason}\n\nGrant or refuse: {decide_url}\n\n-- The data office",
        None,
        decider_addresses(document),
    )
    if email:
        send_mail(
            f"Your access request for {proposal_label(document)}",
            f"Hello {name},\n\nWe passed your request to the experiment team; you will hear when they decide.\n\n"
            "-- The data office",
            None,
            [email],
        )


def _mail_decided(access_request: AccessRequest, *, expires_at: datetime | None, new_account: bool) -> None:
    document = access_request.document
    name, email = _requester(access_request)
    if not email:
        return
    note = f"\n\nNote from the team:\n{access_request.decision_note}" if access_request.decision_note else ""
    if access_request.state == AccessRequest.State.GRANTED:
        body = (
            f"Hello {name},\n\nYou may now read and download the data of {proposal_label(document)} "
            f"until {expires_at:%Y-%m-%d}.{note}\n\n{opening.record_address(document)}"
        )
        if new_account:
            user = access_request.user
            assert user is not None  # a new account was made for the guest
            token_path = reverse(
                "password-set",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            )
            body += (
                f"\n\nAn account was made for you ({user.get_username()}); choose its password here:\n"
                f"{settings.SITE_URL}{token_path}"
            )
        subject = f"Access granted: {proposal_label(document)}"
    else:
        label = proposal_label(document)
        body = f"Hello {name},\n\nThe team of {label} did not grant access to its embargoed data.{note}"
        subject = f"Access request not granted: {label}"
    send_mail(subject, body + "\n\n-- The data office", None, [email])
