"""Graph's error catalogue (GRAPH.md §5): each failure is a ``GraphError`` raised by a handler.

The view renders it as ``{"error": {"code", "message", "innerError": {...}}}``; the messages
are the literal texts Graph sends, so clients can be tested against them.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation."


@dataclass
class GraphError(Exception):
    """A Graph error answer: status, ``error.code``, ``error.message`` and extra headers."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    # E11 (429) nests code/message/status inside innerError; the rest carry only ids and date.
    inner: dict[str, str] = field(default_factory=dict)


def error_body(error: GraphError, request_id: str, client_request_id: str) -> dict:
    """The JSON body: ``innerError`` carries the date (``YYYY-MM-DDThh:mm:ss``) and both request ids."""
    inner = {
        **error.inner,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id,
    }
    return {"error": {"code": error.code, "message": error.message, "innerError": inner}}


def denied() -> GraphError:
    """E1: missing scope, missing role, or a protected target."""
    return GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES)


def already_member(relation: str = "members") -> GraphError:
    """E2: the reference is already in the collection."""
    return GraphError(
        400,
        "Request_BadRequest",
        f"One or more added object references already exist for the following modified properties: '{relation}'.",
    )


def not_found(resource_id: str) -> GraphError:
    """E3: names the addressed resource (the container, for a DELETE of a non-member)."""
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{resource_id}' does not exist or one of its queried reference-property objects are not present.",
    )


def mail_enabled() -> GraphError:
    """E4: mail-enabled security groups and distribution lists are read-only through Graph."""
    return GraphError(400, "Request_BadRequest", "Cannot Update a mail-enabled security groups and or distribution list.")


def synced() -> GraphError:
    """E5: groups mastered on-premises."""
    return GraphError(
        400,
        "Request_BadRequest",
        "Unable to update the specified properties for on-premises mastered Directory Sync objects "
        "or objects currently undergoing migration.",
    )


def invalid_id(raw: str) -> GraphError:
    """E6: a path segment that should be an object id is not a GUID."""
    return GraphError(400, "Request_BadRequest", f"Invalid object identifier '{raw}'.")


def invalid_url_in_payload() -> GraphError:
    """E7: ``@odata.id`` is not a URL (a bare GUID, say)."""
    return GraphError(400, "BadRequest", "Invalid URL format specified in payload.")


def empty_body() -> GraphError:
    """E7: no JSON body where one is needed."""
    return GraphError(
        400,
        "Request_BadRequest",
        "An unexpected 'EndOfInput' node was found when reading from the JSON reader. A 'StartObject' node was expected.",
    )


def invalid_bind_url(relation: str = "members") -> GraphError:
    """E7: a bad URL inside ``members@odata.bind`` (code [U], text observed for owners)."""
    return GraphError(400, "BadRequest", f"Invalid URL format specified in @odata.bind for {relation}")


def too_many_link_changes() -> GraphError:
    """E7: more than 20 binds in one PATCH (code [U])."""
    return GraphError(400, "Request_BadRequest", "A resource cannot contain more than 20 link changes")


def member_type_not_allowed(kind: str, container: str) -> GraphError:
    """400 for a member type the container can't hold; GRAPH.md documents the 400 but not the text [U]."""
    return GraphError(
        400,
        "Request_BadRequest",
        f"An object of type '{kind}' cannot be added to the members of this {container}.",
    )


def write_on_collection() -> GraphError:
    """E8: POST /groups/{id}/members without /$ref."""
    return GraphError(400, "BadRequest", "Write requests are only supported on contained entities")


def unsupported_on_entity_set() -> GraphError:
    """E8: PATCH on a $ref collection."""
    return GraphError(400, "BadRequest", "The request is currently not supported on the targeted entity set")


def segment_not_found(segment: str) -> GraphError:
    """E8: a path segment the service's metadata doesn't know (e.g. v1.0 ``administrativeUnits``)."""
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def method_not_allowed() -> GraphError:
    """The official $batch sample's 405 for a method the target doesn't support."""
    return GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")


def invalid_token(message: str) -> GraphError:
    """E10, with the WWW-Authenticate challenge Graph sends."""
    challenge = (
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
        'client_id="00000003-0000-0000-c000-000000000000"'
    )
    return GraphError(401, "InvalidAuthenticationToken", message, headers={"WWW-Authenticate": challenge})


def too_many_requests(retry_after: int, information: str = "WriteLimitExceeded", scope: str = "") -> GraphError:
    """E11: throttled; innerError nests the code/message/status as Graph does."""
    headers = {"Retry-After": str(retry_after), "x-ms-throttle-information": information}
    if scope:
        headers["x-ms-throttle-scope"] = scope
    return GraphError(
        429,
        "TooManyRequests",
        "Please retry again later.",
        headers=headers,
        inner={"code": "429", "message": "Please retry after", "status": "429"},
    )


def unavailable(status: int, retry_after: int | None = None) -> GraphError:
    """E11: a transient 503/504 (503 may carry Retry-After)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return GraphError(status, "UnknownError", "", headers=headers)


def search_needs_eventual() -> GraphError:
    """E12a."""
    return GraphError(
        400,
        "Request_UnsupportedQuery",
        "Request with $search query parameter only works through MSGraph with a special request header: "
        "'ConsistencyLevel: eventual'",
    )


def count_not_supported() -> GraphError:
    """E12b: the /$count segment without advanced-query parameters."""
    return GraphError(400, "Request_BadRequest", "$count is not currently supported.")


def invalid_page_size(raw: str) -> GraphError:
    """E12c."""
    return GraphError(
        400, "Request_UnsupportedQuery", f"Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive."
    )


def needs_advanced_query(operator: str) -> GraphError:
    """E12d: an advanced-query-only operator without ConsistencyLevel + $count."""
    return GraphError(
        400,
        "Request_UnsupportedQuery",
        f"Operator '{operator}' is not supported because the required parameters might be missing. "
        "Try adding $count=true query parameter and ConsistencyLevel:eventual header. "
        "Refer to https://aka.ms/graph-docs/advanced-queries for more information",
    )


def unsupported_filter_property(prop: str, resource: str) -> GraphError:
    """E12e."""
    return GraphError(
        400,
        "Request_UnsupportedQuery",
        f"Unsupported or invalid query filter clause specified for property '{prop}' of resource '{resource}'.",
    )


def unsupported_query(message: str) -> GraphError:
    """Other unsupported queries (a cast the container can't hold, a syntax error in $filter)."""
    return GraphError(400, "Request_UnsupportedQuery", message)


def unknown_property(prop: str, type_name: str) -> GraphError:
    """$select of a property the type does not have."""
    return GraphError(400, "BadRequest", f"Could not find a property named '{prop}' on type 'microsoft.graph.{type_name}'.")


def last_owner() -> GraphError:
    """Removing a group's last owner: "Once owners are assigned to a group, the last owner (a user object) of
    the group cannot be removed" (group-delete-owners). The body as the service answers it
    (microsoftgraph/microsoft-graph-docs#12054, #6489; hashicorp/terraform-provider-azuread#1435)."""
    return GraphError(400, "Request_BadRequest", "The group must have at least one owner, hence this owner cannot be removed.")


def owner_type_not_allowed(kind: str) -> GraphError:
    """An owner that is neither a user nor a service principal (group-post-owners); the text is [U]."""
    return GraphError(400, "Request_BadRequest", f"An object of type '{kind}' cannot be added to the owners of this group.")
