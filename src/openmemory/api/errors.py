"""The REST surface's one error table: exception → HTTP status and ``{"err": code, "message": sentence}``.

Every error the API sends has this shape, whether it comes from the service (``OpenMemoryError``), from request
validation, from routing (404/405) or from an unexpected exception (500). The key ``err`` is upstream's.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from openmemory.errors import (
    Conflict,
    EmbedderError,
    InvalidInput,
    NotFound,
    OpenMemoryError,
    RateLimited,
    SchemaOutdated,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
    TenantMismatch,
    Unauthenticated,
)

log = logging.getLogger("openmemory.api")

# Most specific class first: the first isinstance match wins.
STATUS_OF: tuple[tuple[type[OpenMemoryError], int], ...] = (
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (TenantMismatch, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (EmbedderError, 503),
    (StoreUnavailable, 503),
    (StoreFull, 507),  # WebDAV's Insufficient Storage: the server, not the request, lacks room
    (StoreReadOnly, 503),
    (SchemaOutdated, 503),
)

CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


class ApiError(Exception):
    """An HTTP-level failure with no service counterpart (bad URL, body too large, unknown user)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"err": code, "message": message, **extra}


# A database that went away (a PostgreSQL restart) or a lock held too long usually clears within seconds.
RETRY_AFTER_S = 5


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def rate_limited_response(exc: RateLimited) -> JSONResponse:
    """429 with ``Retry-After`` (seconds); ``retry_after`` in the body too, as upstream's limiter sends it."""
    headers = {"Retry-After": str(exc.retry_after_s)}
    return error_response(429, exc.code, str(exc), headers=headers, retry_after=exc.retry_after_s)


def status_of(exc: OpenMemoryError) -> int:
    return next((status for cls, status in STATUS_OF if isinstance(exc, cls)), 500)


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OpenMemoryError)
    if isinstance(exc, RateLimited):
        return rate_limited_response(exc)
    status = status_of(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    field = getattr(exc, "field", None)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if isinstance(exc, StoreUnavailable) else None
    return error_response(status, exc.code, str(exc), headers=headers, **({"field": field} if field else {}))


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = CODE_OF_STATUS.get(exc.status_code, "http_error")
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}; see /docs for the API"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    elif exc.status_code == 400 and exc.detail == _FASTAPI_PARSE_ERROR:
        code, message = "invalid_json", _unreadable_body(exc.__cause__)
    else:
        message = str(exc.detail)
    response = error_response(exc.status_code, code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


# FastAPI's words when a JSON body cannot be decoded at all (bad UTF-8, nesting past Python's recursion limit).
_FASTAPI_PARSE_ERROR = "There was an error parsing the body"


def _unreadable_body(cause: BaseException | None) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return f"the request body is not valid UTF-8 (byte {cause.start}); send JSON encoded as UTF-8"
    if isinstance(cause, RecursionError):
        return "the request body's JSON is nested too deeply; flatten it"
    return "the request body could not be read as JSON"


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
    return f"{where}: {error.get('msg', 'invalid')}"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "invalid_json", "the request body is not valid JSON")
    details = [_describe(e) for e in errors[:20]]
    return error_response(400, "invalid_input", "; ".join(details[:3]), details=details)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s raised an unexpected error", request.method, request.url.path)
    return error_response(500, "internal", "internal server error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception the app can raise to one JSON error shape."""
    app.add_exception_handler(OpenMemoryError, _service_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
