"""The OpenAPI schema (drf-spectacular) describes every answer the API gives: the errors of
catalogue.api.errors on every operation, and anonymous reading where the permissions allow it."""

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from catalogue.api.permissions import ReadForAllWriteForStewards


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    message = serializers.CharField()
    # A field named "fields" in the error body: DRF's serializer metaclass takes declared fields out of the class
    # body, so Serializer.fields (the property) stays.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Each field or query parameter at fault, with what is wrong with it.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    "400": "Input the API cannot use; the message (and `fields`) say what is wrong.",
    "403": "Not allowed: writes need a data steward or an acquisition account (or a valid token).",
    "404": "No record with this key that you may see.",
    "409": "The change conflicts with an existing record.",
    "503": "The catalogue database is unavailable; try again.",
}


class CatalogueAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = ["400", "403", "503"]
        if "{" in self.path:
            codes.append("404")
        if self.method not in SAFE_METHODS:
            codes.append("409")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                responses[code]["description"] = ERRORS[code]
        return responses

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        anonymous = self.method in SAFE_METHODS and any(
            isinstance(permission, ReadForAllWriteForStewards) for permission in self.view.get_permissions()
        )
        if anonymous and {} not in auths:
            auths.append({})  # reading needs no account
        return auths
