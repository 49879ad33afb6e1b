"""One Graph request as the handlers see it (from HTTP or from a $batch item), and its answer."""

from dataclasses import dataclass, field
from typing import Any

from sandbox.tokens import AccessClaims

JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
MISSING = object()  # no body was sent (distinct from a JSON null)


@dataclass
class Call:
    """Method, version, path below the version, query, headers (lower-cased names), body, caller."""

    method: str
    version: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    claims: AccessClaims
    base_url: str  # public base, e.g. https://graph.sandbox.test/v1.0
    request_id: str
    client_request_id: str
    # The caller's roles once read (sandbox.graph.routing); the items of a read-only $batch share it
    # (None on a $batch with writes: each item reads its own).
    actor_cache: list | None = field(default_factory=list, compare=False, repr=False)

    @property
    def eventual(self) -> bool:
        """``ConsistencyLevel: eventual`` was sent: advanced queries are on."""
        return self.headers.get("consistencylevel", "").strip().lower() == "eventual"

    @property
    def count_requested(self) -> bool:
        return self.query.get("$count", "").lower() == "true"

    def url(self, path: str) -> str:
        """A public URL below the version base."""
        return f"{self.base_url}/{path.lstrip('/')}"


@dataclass
class Result:
    """A handler's answer: JSON ``body`` (dict), text (str) or nothing (None)."""

    status: int = 200
    body: dict | str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str | None:
        if self.body is None:
            return None
        return "text/plain" if isinstance(self.body, str) else JSON_TYPE


def no_content() -> Result:
    """Writes answer 204 with an empty body (GRAPH.md §1)."""
    return Result(status=204)
