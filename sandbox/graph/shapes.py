"""How directory objects look on the wire (GRAPH.md §4): default properties, $select, @odata.*."""

from sandbox import authz
from sandbox.graph import errors
from sandbox.models import DirectoryObject

# The properties Graph returns without $select, per type (GRAPH.md §4 and the resource pages).
DEFAULT_PROPERTIES = {
    "user": [
        "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
        "officeLocation", "preferredLanguage", "surname", "userPrincipalName",
    ],
    "group": [
        "deletedDateTime", "classification", "createdDateTime", "description", "displayName",
        "expirationDateTime", "groupTypes", "isAssignableToRole", "mail", "mailEnabled", "mailNickname",
        "membershipRule", "membershipRuleProcessingState", "onPremisesDomainName",
        "onPremisesLastSyncDateTime", "onPremisesNetBiosName", "onPremisesSamAccountName",
        "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "preferredDataLocation",
        "preferredLanguage", "proxyAddresses", "renewedDateTime", "resourceBehaviorOptions",
        "resourceProvisioningOptions", "securityEnabled", "securityIdentifier", "theme", "visibility",
        "onPremisesProvisioningErrors",
    ],
    "device": [
        "deletedDateTime", "accountEnabled", "approximateLastSignInDateTime", "deviceId", "displayName",
        "isCompliant", "isManaged", "operatingSystem", "operatingSystemVersion", "trustType",
    ],
    # servicePrincipal and orgContact subsets are [U] (GRAPH.md §4).
    "servicePrincipal": ["deletedDateTime", "accountEnabled", "appId", "appDisplayName", "displayName", "servicePrincipalType"],
    "orgContact": ["deletedDateTime", "companyName", "displayName", "givenName", "mail", "surname"],
    "administrativeUnit": [
        "deletedDateTime", "displayName", "description", "isMemberManagementRestricted", "membershipRule",
        "membershipType", "membershipRuleProcessingState", "visibility",
    ],
    "directoryRole": ["deletedDateTime", "description", "displayName", "roleTemplateId"],
}
# Properties returned only when selected.
EXTRA_PROPERTIES = {
    "user": ["accountEnabled", "department", "userType", "createdDateTime", "onPremisesSyncEnabled", "isManagementRestricted"],
    "group": ["isManagementRestricted"],
    "device": ["isManagementRestricted"],
    "servicePrincipal": [],
    "orgContact": [],
    "administrativeUnit": [],
    "directoryRole": [],
}


def known_properties(kind: str) -> set[str]:
    return {"id", *DEFAULT_PROPERTIES[kind], *EXTRA_PROPERTIES[kind]}


def parse_select(raw: str | None) -> list[str] | None:
    """``$select=id,displayName`` -> ["id", "displayName"]; None when absent."""
    if not raw:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def check_select(select: list[str] | None, kind: str) -> None:
    """On a single-type set, selecting a property the type lacks is a 400."""
    for name in select or []:
        if name not in known_properties(kind):
            raise errors.unknown_property(name, kind)


def render(obj: DirectoryObject, *, select: list[str] | None = None, typed: bool = True, limited: bool = False) -> dict:
    """One object as Graph sends it; ``typed`` adds ``@odata.type`` (polymorphic sets)."""
    kind = obj.kind
    item: dict = {"@odata.type": f"#microsoft.graph.{kind}"} if typed else {}
    names = select if select is not None else ["id", *DEFAULT_PROPERTIES[kind]]
    available = known_properties(kind)
    for name in names:
        if name not in available:
            continue  # a polymorphic list omits what a member's type doesn't have
        if name == "id":
            item["id"] = str(obj.id)
        elif limited:
            item[name] = None  # "limited information": only @odata.type and id (GRAPH.md §3)
        else:
            item[name] = obj.data.get(name)
    if limited and "id" not in item:
        item["id"] = str(obj.id)
    return item


def render_for(obj: DirectoryObject, actor: authz.Actor, *, select=None, typed=True) -> dict:
    """Render with "limited information" when the caller can't read the member's type."""
    return render(obj, select=select, typed=typed, limited=not authz.can_see_all_properties(actor, obj.kind))


def reference(call_base_url: str, obj: DirectoryObject) -> dict:
    """An entry of a ``…/$ref`` list; Graph's @odata.id is not canonical (GRAPH.md §1)."""
    type_name = obj.kind[0].upper() + obj.kind[1:]
    return {"@odata.id": f"{call_base_url}/directoryObjects/{obj.id}/Microsoft.DirectoryServices.{type_name}"}


def context(base_url: str, entity_set: str, select: list[str] | None = None, entity: bool = False) -> str:
    """``@odata.context``: ``…/$metadata#groups``, ``#users(displayName,id)``, ``#groups/$entity``."""
    fragment = entity_set
    if select:
        fragment += "(" + ",".join(select) + ")"
    if entity:
        fragment += "/$entity"
    return f"{base_url}/$metadata#{fragment}"
