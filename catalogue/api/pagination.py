"""`limit` and `offset` of every REST API list, checked: a value the API cannot honour is a 400 naming it."""

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.views import APIView

MAX_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET is a bigint


class CheckedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = settings.API_MAX_LIMIT

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, MAX_OFFSET)}
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"].update({"minimum": low, "maximum": high})
        return parameters

    def get_limit(self, request: Request) -> int:
        assert self.default_limit is not None  # REST_FRAMEWORK["PAGE_SIZE"] in the settings
        return self._count(request, self.limit_query_param, default=self.default_limit, low=1, high=self.max_limit)

    def get_offset(self, request: Request) -> int:
        return self._count(request, self.offset_query_param, default=0, low=0, high=MAX_OFFSET)

    @staticmethod
    def _count(request: Request, name: str, *, default: int, low: int, high: int) -> int:
        written = request.query_params.get(name)
        if written is None:
            return default
        if not written.strip().isdigit() or not low <= int(written) <= high:
            raise ValidationError({name: [f"must be a whole number from {low} to {high}, not “{written}”"]})
        return int(written)
