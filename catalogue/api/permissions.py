"""Read for everyone (subject to visibility), write for stewards and their API tokens."""

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings: no runtime import
    from rest_framework.views import APIView

from catalogue import visibility


class ReadForAllWriteForStewards(BasePermission):
    message = "Only data stewards may change the catalogue."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        return request.method in SAFE_METHODS or visibility.is_steward(request.user)


class IsSteward(BasePermission):
    message = "Only data stewards may do this."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        return visibility.is_steward(request.user)
