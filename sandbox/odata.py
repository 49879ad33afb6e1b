"""The OData query options the sandbox understands, with Graph's rules (GRAPH.md §3).

``$filter``: ``startswith``, ``eq``, ``in``, ``and``/``or``, parentheses, ``groupTypes/any(c:c eq 'X')``;
advanced-query-only ``ne``, ``not``, ``endswith`` (E12d without ``ConsistencyLevel: eventual`` and
``$count=true``). Without advanced queries a filter holds at most 15 expressions, each value of an
``in`` list counting as one (Graph's known issues: "When using the in operator, the request is
limited to 15 expressions in the filter clause by default"). ``$search``: quoted ``"property:text"``
clauses joined by ``AND``/``OR``, tokenized on displayName/description, ``startsWith`` elsewhere.
``$top`` 1..999. ``$skiptoken`` is opaque. Filters and searches compile to predicates over a
``DirectoryObject`` (``id`` + ``data``).
"""

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from functools import reduce
from dataclasses import dataclass

from django.db.models import Q

from sandbox.graph import errors

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999
TOKENIZED_PROPERTIES = {"displayName", "description"}

Predicate = Callable[[object], bool]

# Properties each resource can be filtered on without advanced queries; others -> E12e.
FILTERABLE = {
    "User": {"id", "displayName", "userPrincipalName", "mail", "givenName", "surname", "jobTitle",
             "department", "accountEnabled", "userType", "onPremisesSyncEnabled"},
    "Group": {"id", "displayName", "mail", "mailNickname", "mailEnabled", "securityEnabled", "groupTypes",
              "isAssignableToRole", "onPremisesSyncEnabled", "membershipRuleProcessingState"},
    "Device": {"id", "displayName", "deviceId", "operatingSystem", "accountEnabled", "trustType"},
    "AdministrativeUnit": {"id", "displayName", "membershipType", "visibility", "isMemberManagementRestricted"},
    "DirectoryRole": {"id", "displayName", "roleTemplateId"},
    "DirectoryObject": {"id", "displayName", "mail", "userPrincipalName", "securityEnabled", "mailEnabled",
                        "groupTypes", "accountEnabled", "operatingSystem"},
}


@dataclass(frozen=True)
class Query:
    """The parsed query options of one list request."""

    top: int
    select: list[str] | None
    predicate: Predicate | None
    count: bool  # include @odata.count (only with ConsistencyLevel: eventual)
    after: tuple[str, str] | None  # keyset position from $skiptoken: (display_name, id)
    by_name: bool = False  # $orderby=displayName was asked (and allowed); else the order is the ids'
    descending: bool = False  # ... as "displayName desc"


def parse_top(raw: str | None) -> int:
    """``$top`` defaults to 100; 1..999 else E12c."""
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    try:
        value = int(raw)
    except ValueError:
        raise errors.invalid_page_size(raw) from None
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise errors.invalid_page_size(raw)
    return value


def encode_skiptoken(display_name: str, object_id: str) -> str:
    """An opaque token naming the last item of a page (keyset paging keeps order stable)."""
    raw = json.dumps([display_name, object_id], separators=(",", ":")).encode()
    return "RFNwdAIAAQAAA" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str | None) -> tuple[str, str] | None:
    if not token:
        return None
    try:
        payload = token.removeprefix("RFNwdAIAAQAAA")
        name, object_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error, TypeError):
        raise errors.GraphError(400, "Request_BadRequest", "Invalid paging token specified.") from None
    return str(name), str(object_id)


# ---------------------------------------------------------------- $search


def tokens(text: str) -> list[str]:
    """Graph's search tokenization: spaces, symbols, lower->upper case changes and digits split words."""
    return [token.lower() for token in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", text or "")]


def _value(obj, prop: str):
    if prop == "id":
        return str(obj.id)
    return obj.data.get(prop)


def _search_clause(prop: str, text: str) -> Predicate:
    """One ``"prop:text"``: tokens in any order on displayName/description, else starts-with."""
    if prop in TOKENIZED_PROPERTIES:
        wanted = tokens(text)

        def matches(obj) -> bool:
            have = tokens(_value(obj, prop) or "")
            return bool(wanted) and all(any(h.startswith(w) for h in have) for w in wanted)

        # Tokens are ASCII letters and digits: a wanted token starts a token of the value, so the
        # value contains it, whatever the case.
        column = "display_name" if prop == "displayName" else f"data__{prop}"
        return _narrowed(matches, (lambda prefix: _all(Q(**{f"{prefix}{column}__icontains": w}) for w in wanted))
                         if wanted else None)
    needle = text.lower()
    matches = lambda obj: isinstance(_value(obj, prop), str) and _value(obj, prop).lower().startswith(needle)  # noqa: E731
    # The same condition a $filter startswith implies: an address from its indexed column, not
    # from each row's JSON (which made a member search read a 5,000-member group's JSON twice).
    return _narrowed(matches, _sql_match(prop, text, "istartswith"))


# --- narrowing: a search's necessary condition in SQL, so rows that can't match are never loaded

PLAIN_PROPERTY = re.compile(r"[A-Za-z][A-Za-z0-9]*")  # a JSON key Django won't read as a path


def _narrowed(predicate: Predicate, narrow: Callable[[str], Q] | None) -> Predicate:
    predicate.narrow = narrow
    return predicate


def narrowing(predicate: Predicate | None, prefix: str = "") -> Q | None:
    """A filter every row ``predicate`` accepts passes (fields below ``prefix``, e.g. ``member__``),
    None when there is none to offer ($filter, NOT, an unusual property). The predicate still decides."""
    narrow = getattr(predicate, "narrow", None)
    return narrow(prefix) if narrow is not None else None


def _all(conditions) -> Q:
    combined = Q()
    for condition in conditions:
        combined &= condition
    return combined


_SEARCH_TOKEN = re.compile(r'\s*(?:(")((?:[^"\\]|\\.)*)"|(\()|(\))|(AND|OR)(?=[\s("]))')


def parse_search(raw: str) -> Predicate:
    """``"displayName:foo" AND ("mail:bar" OR "description:baz")`` -> predicate."""
    items = []
    position = 0
    raw = raw.strip()
    while position < len(raw):
        match = _SEARCH_TOKEN.match(raw, position)
        if not match:
            raise errors.unsupported_query("Syntax error: character is not valid at this position in $search.")
        if match.group(1):
            prop, sep, text = match.group(2).partition(":")
            if not sep or not prop:
                # Directory objects need "property:text" [D search-query-parameter]; exact text [U].
                raise errors.unsupported_query("Invalid $search query: use \"property:value\" clauses.")
            items.append(("clause", _search_clause(prop.strip(), text.replace('\\"', '"'))))
        elif match.group(3):
            items.append(("(", None))
        elif match.group(4):
            items.append((")", None))
        else:
            items.append((match.group(5).lower(), None))
        position = match.end()
    predicate, rest = _parse_bool(items)
    if rest:
        raise errors.unsupported_query("Syntax error in $search.")
    return predicate


def _parse_bool(items):
    """or-of-ands over ("clause", pred) / ("and"|"or"|"("|")", None) items; returns (pred, rest)."""
    left, items = _parse_and(items)
    while items and items[0][0] == "or":
        right, items = _parse_and(items[1:])
        left = _either(left, right)
    return left, items


def _parse_and(items):
    left, items = _parse_atom(items)
    while items and items[0][0] == "and":
        right, items = _parse_atom(items[1:])
        left = _both(left, right)
    return left, items


def _parse_atom(items):
    if not items:
        raise errors.unsupported_query("Syntax error: unexpected end of query.")
    kind, value = items[0]
    if kind == "(":
        inner, rest = _parse_bool(items[1:])
        if not rest or rest[0][0] != ")":
            raise errors.unsupported_query("Syntax error: ')' expected.")
        return inner, rest[1:]
    if kind == "not":
        inner, rest = _parse_atom(items[1:])
        return (lambda obj: not inner(obj)), rest
    if kind != "clause":
        raise errors.unsupported_query(f"Syntax error at '{kind}'.")
    return value, items[1:]


def _both(a: Predicate, b: Predicate) -> Predicate:
    narrows = [n for n in (getattr(a, "narrow", None), getattr(b, "narrow", None)) if n is not None]
    return _narrowed(lambda obj: a(obj) and b(obj), (lambda prefix: _all(n(prefix) for n in narrows)) if narrows else None)


def _either(a: Predicate, b: Predicate) -> Predicate:
    first, second = getattr(a, "narrow", None), getattr(b, "narrow", None)
    return _narrowed(lambda obj: a(obj) or b(obj),
                     (lambda prefix: first(prefix) | second(prefix)) if first is not None and second is not None else None)


# ---------------------------------------------------------------- $filter

_FILTER_TOKEN = re.compile(
    r"\s*(?:'((?:[^']|'')*)'|(\()|(\))|(,)|(:)|([A-Za-z_][A-Za-z0-9_./]*(?:(?<=/)\$count)?)|(-?\d+(?:\.\d+)?))"
)
ADVANCED_OPERATORS = {"ne", "not", "endswith"}
COMPARISONS = {"eq", "ne", "in"}
MAX_EXPRESSIONS = 15  # without advanced queries (then only the URL length, 2,048, bounds it)


def parse_filter(raw: str, resource: str, advanced: bool) -> Predicate:
    """Compile ``$filter`` for ``resource`` ('User', 'Group', …); ``advanced`` = AQ params present."""
    items = _filter_tokens(raw)
    parser = _FilterParser(items, resource, advanced)
    predicate = parser.expression()
    if parser.items:
        raise errors.unsupported_query(f"Invalid filter clause: syntax error at '{parser.items[0][1]}'.")
    if parser.expressions > MAX_EXPRESSIONS and not advanced:
        # The limit is documented; the error's text is [U].
        raise errors.unsupported_query(
            f"The filter clause has {parser.expressions} expressions; at most {MAX_EXPRESSIONS} are supported.")
    return predicate


def _filter_tokens(raw: str) -> list[tuple[str, object]]:
    items = []
    position = 0
    while position < len(raw.rstrip()):
        match = _FILTER_TOKEN.match(raw, position)
        if not match:
            raise errors.unsupported_query("Invalid filter clause")
        string, open_, close, comma, colon, word, number = match.groups()
        if string is not None:
            items.append(("literal", string.replace("''", "'")))
        elif open_:
            items.append(("(", "("))
        elif close:
            items.append((")", ")"))
        elif comma:
            items.append((",", ","))
        elif colon:
            items.append((":", ":"))
        elif word is not None:
            lowered = word.lower()
            if lowered in {"true", "false", "null"}:
                items.append(("literal", {"true": True, "false": False, "null": None}[lowered]))
            else:
                items.append(("word", word))
        else:
            items.append(("literal", float(number) if "." in number else int(number)))
        position = match.end()
    return items


class _FilterParser:
    """Recursive descent over filter tokens: or > and > not > comparison/function."""

    def __init__(self, items, resource: str, advanced: bool):
        self.items = items
        self.resource = resource
        self.advanced = advanced
        self.expressions = 0  # comparisons, functions and in-list values seen

    def take(self, kind: str | None = None, value: str | None = None):
        if not self.items:
            raise errors.unsupported_query("Invalid filter clause: unexpected end.")
        item = self.items.pop(0)
        if kind and item[0] != kind or value and str(item[1]).lower() != value:
            raise errors.unsupported_query(f"Invalid filter clause: syntax error at '{item[1]}'.")
        return item[1]

    def peek_word(self) -> str | None:
        if self.items and self.items[0][0] == "word":
            return str(self.items[0][1]).lower()
        return None

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self.peek_word() == "or":
            self.take()
            left = _either(left, self.conjunction())
        return left

    def conjunction(self) -> Predicate:
        left = self.unary()
        while self.peek_word() == "and":
            self.take()
            left = _both(left, self.unary())
        return left

    def unary(self) -> Predicate:
        if self.peek_word() == "not":
            self.require_advanced("not")
            self.take()
            inner = self.unary()
            return lambda obj: not inner(obj)
        if self.items and self.items[0][0] == "(":
            self.take("(")
            inner = self.expression()
            self.take(")")
            return inner
        return self.comparison()

    def require_advanced(self, operator: str) -> None:
        if operator in ADVANCED_OPERATORS and not self.advanced:
            raise errors.needs_advanced_query(operator)

    def check_property(self, prop: str) -> None:
        allowed = FILTERABLE.get(self.resource, set())
        if prop not in allowed and not self.advanced:
            raise errors.unsupported_filter_property(prop, self.resource)

    def comparison(self) -> Predicate:
        word = str(self.take("word"))
        lowered = word.lower()
        if lowered in {"startswith", "endswith"}:
            return self.function(lowered)
        if lowered.endswith("/any"):
            return self.any_lambda(word[: -len("/any")])
        if lowered.endswith("/$count"):
            return self.link_count(word[: -len("/$count")])
        operator = str(self.take("word")).lower()
        if operator not in COMPARISONS:
            raise errors.unsupported_query(f"Invalid filter clause: operator '{operator}' is not supported.")
        self.require_advanced(operator)
        self.check_property(word)
        if operator == "in":
            return self.in_list(word)
        self.expressions += 1
        literal = self.take("literal")
        equal = _equals(word, literal)
        return equal if operator == "eq" else (lambda obj: not equal(obj))

    def in_list(self, prop: str) -> Predicate:
        """``prop in ('a', 'b')``: equal to any of the values (strings case-insensitively)."""
        self.take("(")
        values = [self.take("literal")]
        while self.items and self.items[0][0] == ",":
            self.take(",")
            values.append(self.take("literal"))
        self.take(")")
        self.expressions += len(values)
        if prop == "id" and all(isinstance(value, str) for value in values):
            return _ids_in(values)
        return reduce(_either, [_equals(prop, value) for value in values])  # narrowed when each value is

    def function(self, name: str) -> Predicate:
        self.require_advanced(name)
        self.expressions += 1
        self.take("(")
        prop = str(self.take("word"))
        self.take(",")
        literal = str(self.take("literal"))
        self.take(")")
        self.check_property(prop)
        needle = literal.lower()
        if name == "startswith":
            return _narrowed(lambda obj: isinstance(_value(obj, prop), str) and _value(obj, prop).lower().startswith(needle),
                             _sql_match(prop, literal, "istartswith"))
        return lambda obj: isinstance(_value(obj, prop), str) and _value(obj, prop).lower().endswith(needle)

    def link_count(self, prop: str) -> Predicate:
        """``owners/$count eq 0`` on groups: the group resource documents its owners as supporting
        "$filter (/$count eq 0, /$count ne 0, /$count eq 1, /$count ne 1)", and counting a navigation in
        a filter is an advanced query (aad-advanced-queries; the tutorial's
        ``servicePrincipals?$filter=owners/$count eq 0 or owners/$count eq 1&$count=true`` with
        ``ConsistencyLevel: eventual``). Without them, E12d; any other navigation, operator or number is
        refused (the text [U])."""
        if not self.advanced:
            raise errors.needs_advanced_query("$count")
        operator = str(self.take("word")).lower()
        literal = self.take("literal")
        if self.resource != "Group" or prop != "owners" or operator not in {"eq", "ne"} or literal not in (0, 1) \
                or isinstance(literal, bool):
            raise errors.unsupported_query(f"Unsupported or invalid query filter clause specified for property "
                                           f"'{prop}' of resource '{self.resource}'.")
        self.expressions += 1
        counts: dict[str, int] = {}

        def owner_count(obj) -> int:
            if not counts:  # read once per request: every group's owner count
                from django.db.models import Count

                from sandbox.models import Link

                counts.update((str(row["container_id"]), row["n"]) for row in Link.objects.filter(
                    relation=Link.OWNERS, member__deleted_at=None).values("container_id").annotate(n=Count("id")))
                counts.setdefault("", 0)
            return counts.get(str(obj.id), 0)

        if operator == "eq":
            return lambda obj: owner_count(obj) == literal
        return lambda obj: owner_count(obj) != literal

    def any_lambda(self, prop: str) -> Predicate:
        """``groupTypes/any(c:c eq 'Unified')``."""
        self.check_property(prop)
        self.take("(")
        variable = str(self.take("word"))
        self.take(":")
        self.take("word", variable.lower())
        self.take("word", "eq")
        literal = self.take("literal")
        self.take(")")
        self.expressions += 1
        wanted = str(literal).lower()
        return lambda obj: any(str(v).lower() == wanted for v in (_value(obj, prop) or []))


def _equals(prop: str, literal) -> Predicate:
    """``eq``: strings case-insensitively, other literals exactly."""
    if isinstance(literal, str):
        wanted = literal.lower()
        return _narrowed(lambda obj: isinstance(_value(obj, prop), str) and _value(obj, prop).lower() == wanted,
                         _sql_match(prop, literal, "iexact"))
    return lambda obj: _value(obj, prop) == literal


# Address properties with an indexed lower-cased column of their own (sandbox.models.DirectoryObject):
# a user's principal_name is its userPrincipalName (another object's is its mail: a superset, the
# predicate still decides), mail its mail. A look-up of 1,000 pasted addresses reads their rows only.
ADDRESS_COLUMNS = {"userPrincipalName": "principal_name", "mail": "mail"}


def _sql_match(prop: str, literal: str, lookup: str) -> Callable[[str], Q] | None:
    """The SQL condition an ``eq`` (``iexact``) or ``startswith`` (``istartswith``) implies, so a
    filter reads its few rows, not a whole membership: ids through the primary key (or the link's
    member column), displayName through its indexed column, other properties in the JSON. Only
    ASCII text: SQL's case folding is ASCII's, and a narrowing must never drop a row that matches."""
    if prop == "id":
        if lookup != "iexact":
            return None
        try:
            wanted = uuid.UUID(literal)
        except ValueError:  # no object has such an id
            return lambda prefix: Q(pk__in=[])
        return lambda prefix: Q(**{f"{prefix}id": wanted})
    if prop in ADDRESS_COLUMNS:  # lower-cased copies, indexed: the same folding the predicate does
        column, wanted = ADDRESS_COLUMNS[prop], literal.lower()
        suffix = "" if lookup == "iexact" else "__startswith"
        return lambda prefix: Q(**{f"{prefix}{column}{suffix}": wanted})
    if not literal.isascii():
        return None
    if prop == "displayName":
        return lambda prefix: Q(**{f"{prefix}display_name__{lookup}": literal})
    if PLAIN_PROPERTY.fullmatch(prop):
        return lambda prefix: Q(**{f"{prefix}data__{prop}__{lookup}": literal})
    return None


def _ids_in(values: list[str]) -> Predicate:
    """``id in (…)``: read as one ``IN`` over the key, whatever the container's size."""
    wanted = set()
    for value in values:
        try:
            wanted.add(uuid.UUID(value))
        except ValueError:  # no object has such an id
            continue
    texts = {str(value) for value in wanted}
    return _narrowed(lambda obj: str(obj.id) in texts, lambda prefix: Q(**{f"{prefix}id__in": sorted(wanted)}))


# ---------------------------------------------------------------- $orderby

# aad-advanced-queries, "Support for sorting": displayName sorts by default on users and groups,
# with advanced query parameters on the other types; member and memberOf lists want them for any
# $orderby ("This header and $count are required when using $search, $filter, $orderby, or OData
# cast", group-list-members), and so does $filter with $orderby anywhere. Without $orderby Graph's
# order is unspecified: the sandbox answers in id order, which no person would take for an order.
SORTED_BY_DEFAULT = {"User", "Group"}
UNSORTABLE = "Sorting not supported for current query."


def parse_orderby(raw: str | None, *, resource: str, advanced: bool, member_list: bool, filtered: bool) -> tuple[bool, bool]:
    """Whether the list is sorted by displayName, and whether descending (``displayName desc``); a
    400 for any other ``$orderby`` or one sent without the advanced query parameters it needs. Other
    sortable properties are documented, but nothing here asks for them: refused, never answered in
    some other order [U text]. A descending sort wants the same parameters as an ascending one:
    aad-advanced-queries names no difference, and the stricter reading is that it needs them."""
    if not raw:
        return False, False
    prop, _, direction = raw.strip().partition(" ")
    direction = direction.strip().lower()
    if prop != "displayName" or direction not in ("", "asc", "desc"):
        raise errors.unsupported_query(UNSORTABLE)
    if (member_list or filtered or direction == "desc" or resource not in SORTED_BY_DEFAULT) and not advanced:
        raise errors.unsupported_query(UNSORTABLE)
    return True, direction == "desc"


# ---------------------------------------------------------------- the whole query


def parse_list_query(
    query: dict[str, str], *, eventual: bool, resource: str, filter_needs_advanced: bool = False
) -> Query:
    """Validate and parse the options of a collection GET.

    ``$search`` needs ``ConsistencyLevel: eventual`` (E12a). ``$count=true`` without the header is
    silently ignored. ``filter_needs_advanced``: member lists accept ``$filter`` (and ``$orderby``)
    only with AQ.
    """
    top = parse_top(query.get("$top"))
    count = query.get("$count", "").lower() == "true"
    advanced = eventual and count
    predicates: list[Predicate] = []
    search = query.get("$search")
    if search:
        if not eventual:
            raise errors.search_needs_eventual()
        predicates.append(parse_search(search))
    raw_filter = query.get("$filter")
    if raw_filter:
        if filter_needs_advanced and not advanced:
            raise errors.needs_advanced_query(_first_operator(raw_filter))
        predicates.append(parse_filter(raw_filter, resource, advanced))
    predicate = None
    if predicates:
        predicate = predicates[0] if len(predicates) == 1 else _both(predicates[0], predicates[1])
    by_name, descending = parse_orderby(query.get("$orderby"), resource=resource, advanced=advanced,
                                        member_list=filter_needs_advanced, filtered=bool(raw_filter))
    select = [name.strip() for name in query.get("$select", "").split(",") if name.strip()] or None
    return Query(top=top, select=select, predicate=predicate, count=count and eventual,
                 after=decode_skiptoken(query.get("$skiptoken")), by_name=by_name, descending=descending)


def _first_operator(raw_filter: str) -> str:
    match = re.search(r"\b(startswith|endswith|eq|ne|not|any)\b", raw_filter, re.IGNORECASE)
    return match.group(1) if match else "filter"
