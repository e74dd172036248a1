"""Forms of the FAIR fixes stewards apply in the admin (bulk actions and the worklist's fix page)."""

from typing import Any

from django import forms

from catalogue.fair.checks import RECOGNISED_LICENCES
from catalogue.models import Person, RelatedWork
from catalogue.services import curation


class LicenceForm(forms.Form):
    licence = forms.ChoiceField(choices=[(spdx, spdx) for spdx in sorted(RECOGNISED_LICENCES)], initial="CC-BY-4.0")


class KeywordsForm(forms.Form):
    keywords = forms.CharField(help_text="Comma-separated; added to those already there.")

    def clean_keywords(self) -> list[str]:
        try:
            return curation.parse_keywords(self.cleaned_data["keywords"])
        except curation.CurationError as error:
            raise forms.ValidationError(str(error)) from error


class PublicationForm(forms.Form):
    identifier = forms.CharField(label="DOI of the paper", help_text="e.g. 10.1107/S1600577522001234")
    title = forms.CharField(required=False, max_length=1024)
    relation = forms.ChoiceField(choices=RelatedWork.Relation.choices, initial=RelatedWork.Relation.IS_CITED_BY)

    def clean_identifier(self) -> str:
        try:
            return curation.normalise_doi(self.cleaned_data["identifier"])
        except curation.CurationError as error:
            raise forms.ValidationError(str(error)) from error


class OrcidForm(forms.Form):
    """One ORCID field per person; blank fields are left alone."""

    def __init__(self, *args: Any, people: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {f"orcid_{person.pk}": person for person in people}
        for name, person in self.people.items():
            self.fields[name] = forms.CharField(
                label=f"ORCID iD of {person.full_name}", required=False, initial=person.orcid
            )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        for name in self.people:
            value = cleaned.get(name, "")
            if value:
                try:
                    cleaned[name] = curation.normalise_orcid(value)
                except curation.CurationError as error:
                    self.add_error(name, str(error))
        return cleaned

    def orcids(self) -> dict[Person, str]:
        return {person: self.cleaned_data.get(name, "") for name, person in self.people.items()}
