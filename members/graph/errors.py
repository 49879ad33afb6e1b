"""Graph's failures as one type: ``GraphError``, parsed from Graph's error bodies (GRAPH.md §1)."""

import requests

# Throttled (429) or unavailable (503/504): honour Retry-After and try again within bounds.
RETRYABLE_STATUSES = frozenset({429, 503, 504})


class GraphError(Exception):
    """A failed Graph call: HTTP status (0 when no answer came), Graph's error code, message and ids."""

    def __init__(self, status: int, code: str, message: str, request_id: str = "", client_request_id: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.retry_after = retry_after
        # A server error (503/504) an earlier send of this same idempotent call got: that send may
        # have been applied, so a "not found" now may be its doing rather than "already so".
        self.earlier: GraphError | None = None

    @classmethod
    def from_answer(cls, status: int, headers: dict, body: object, reason: str = "") -> "GraphError":
        """Graph's error body, from a response or a $batch item; tolerant of odd bodies."""
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        inner = error.get("innerError") if isinstance(error.get("innerError"), dict) else {}
        headers = lower_keys(headers or {})
        return cls(
            status=status,
            code=str(error.get("code") or (f"HTTP{status}" if status else "")),
            message=str(error.get("message") or reason or ""),
            request_id=headers.get("request-id") or inner.get("request-id", ""),
            client_request_id=headers.get("client-request-id") or inner.get("client-request-id", ""),
            retry_after=retry_after(headers.get("retry-after")),
        )

    @classmethod
    def unreadable(cls, status: int, headers: dict) -> "GraphError":
        """A success whose body isn't the JSON object a read answers with (a proxy's page, a cut-off answer)."""
        headers = lower_keys(headers)
        return cls(status, "UnreadableAnswer", "Graph's answer could not be read.", headers.get("request-id", ""),
                   headers.get("client-request-id", ""))

    @property
    def is_retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES

    @property
    def is_busy(self) -> bool:
        return self.is_retryable or self.status == 0

    @property
    def is_uncertain(self) -> bool:
        """For a write: it may or may not have been applied (no answer, or any server error: a
        $batch answered 500 may have run some of its items before failing)."""
        return self.status == 0 or self.status >= 500

    @property
    def is_permission_denied(self) -> bool:
        return self.status == 403

    @property
    def is_already_member(self) -> bool:
        return self.status == 400 and "already exist" in self.message

    @property
    def is_not_found(self) -> bool:
        return self.status == 404


def error_from(response: requests.Response) -> GraphError:
    """A failed response as a GraphError."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    return GraphError.from_answer(response.status_code, dict(response.headers), body, response.reason or "")


def json_object(response: requests.Response) -> dict:
    """A successful answer's JSON object; anything else is a GraphError, so a page says it couldn't
    load instead of failing with a 500."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GraphError.unreadable(response.status_code, dict(response.headers))
    return body


def retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def lower_keys(headers: dict) -> dict:
    return {str(k).lower(): v for k, v in headers.items()}
