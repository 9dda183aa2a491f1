"""The one error base class of SupportDesk and its mapping to HTTP responses."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from rest_framework.response import Response
from rest_framework.views import exception_handler


class SupportDeskError(Exception):
    """An error with a machine-readable code, an HTTP status and a translated message."""

    code = "error"
    status = 400

    def __init__(
        self, message: str | Promise, *, code: str | None = None, status: int | None = None, **details: Any
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class InvalidInput(SupportDeskError):
    code = "invalid_input"
    status = 400


class AccessDenied(SupportDeskError):
    code = "access_denied"
    status = 403


class NotFound(SupportDeskError):
    code = "not_found"
    status = 404


def drf_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SupportDeskError):
        return Response({"error": exc.as_dict()}, status=exc.status)
    return exception_handler(exc, context)
