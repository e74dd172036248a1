"""People, their affiliations and roles on documents, and time-limited access grants."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Affiliation(models.Model):
    name = models.CharField(max_length=512)
    ror_id = models.URLField(blank=True)
    address = models.CharField(max_length=512, blank=True)
    city = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    full_name = models.CharField(max_length=255)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    orcid = models.CharField(max_length=19, blank=True, help_text="Bare iD, e.g. 0000-0002-1825-0097")
    researcher_id = models.CharField(max_length=64, blank=True)
    email = models.EmailField(blank=True, help_text="Personal data: members and stewards only.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["orcid"]), models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.full_name


class Member(models.Model):
    document = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    affiliation = models.ForeignKey(
        Affiliation, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    role = models.CharField(max_length=64, blank=True, help_text="e.g. principal investigator, co-proposer")
    is_creator = models.BooleanField(default=True, help_text="Listed among the DOI's creators.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order among the creators.")

    class Meta:
        ordering = ["position", "role", "person__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["document", "person", "role"], name="member_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.role or 'member'})"


class AccessGrant(models.Model):
    """Access to an embargoed proposal granted to one user (an accepted access request)."""

    document = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="access_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: until the data open.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.document}"


class AccessRequest(models.Model):
    """A scientist (or a guest by e-mail) asks the team for access to an embargoed proposal."""

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        GRANTED = "granted", "granted"
        REFUSED = "refused", "refused"

    document = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="access_requests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="access_requests"
    )
    guest_name = models.CharField(max_length=255, blank=True)
    guest_email = models.EmailField(blank=True)
    reason = models.TextField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user or self.guest_email} → {self.document} ({self.state})"
