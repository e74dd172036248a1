"""Forms of the access pages: asking for access, deciding on a request, extending nothing (stewards use the admin)."""

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from catalogue.models.facilities import MAX_EMBARGO_YEARS


class AccessRequestForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="What you want to do with the data, and your affiliation.",
    )
    guest_name = forms.CharField(max_length=255, required=False, label="Your name")
    guest_email = forms.EmailField(required=False, label="Your e-mail address")

    def __init__(self, *args: Any, guest: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if guest:
            self.fields["guest_name"].required = True
            self.fields["guest_email"].required = True
        else:
            del self.fields["guest_name"]
            del self.fields["guest_email"]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("grant", "Grant access"), ("refuse", "Refuse")], widget=forms.RadioSelect)
    expires_on = forms.DateField(
        required=False,
        label="Access ends on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Empty: {settings.ACCESS_GRANT_DEFAULT_DAYS} days from today.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)

    def clean_expires_on(self) -> object:
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day is not None and day <= today:
            raise forms.ValidationError("Choose a day after today.")
        # Access ends at the start of the next day, and the day after 9999-12-31 is no date at all.
        if day is not None and day.year > today.year + MAX_EMBARGO_YEARS:
            raise forms.ValidationError(f"Choose a day within {MAX_EMBARGO_YEARS} years: no embargo runs longer.")
        return day

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
