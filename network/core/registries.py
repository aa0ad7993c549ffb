"""What a module can contribute to the others, declared in one place of the kernel.

A module registers its contributions from its `init_app` (or at import of its `feedable`,
`searchable`… files): kinds of feed items, kinds of search results, kinds of notifications,
filters and profile sections of the members directory, settings of the cooperative,
entries of the main navigation, and what to do at a server's start-up (warm-ups). The
module that shows them (the feed, search, the directory, the settings page, the header)
reads these registries and never imports the contributors, so no two feature modules
import each other.
"""

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from network.core import signals

# --- Feed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedKind:
    name: str  # "post", "member_joined", …
    label: Any  # translatable plural label for the kind filter
    partial: str  # template rendering one item: gets `item`, `obj`, `viewer`
    load: Callable[[list[int], Any], dict[int, Any]]  # (object ids, viewer) → {id: object}
    visible: Callable[[Any, Any], bool]  # (viewer, object) → may the viewer see it?
    data: Callable[[Any, Any], dict[str, Any]]  # (object, viewer) → the API's `data`


FEED_KINDS: dict[str, FeedKind] = {}


def register_feed_kind(kind: FeedKind) -> None:
    FEED_KINDS[kind.name] = kind


def publish(kind: str, object_id: int, actor_id: int | None, *, once_a_day: bool = False) -> None:
    """Add an item to the feed when the current transaction commits (a module's shortcut
    for sending the signal)."""
    signals.feed_item_published.send(
        kind, object_id=object_id, actor_id=actor_id, once_a_day=once_a_day
    )


def withdraw(kind: str, object_ids: Iterable[int]) -> None:
    signals.feed_item_withdrawn.send(kind, object_ids=list(object_ids))


# --- Search ----------------------------------------------------------------------------

#: The audience every member belongs to; staff also read "staff"; modules add theirs
#: through `AUDIENCE_PROVIDERS` (e.g. "channel:12" for a private channel's members).
MEMBERS = "members"
STAFF = "staff"


@dataclass(frozen=True)
class Document:
    kind: str
    object_id: int
    audience: str
    title: str
    body: str = ""
    keywords: str = ""  # names, tags: matched as you type
    replaced_for: tuple[str, ...] = ()  # audiences that read a fuller version of the object


@dataclass(frozen=True)
class SearchKind:
    name: str  # "member", "skill", …
    label: Any  # translatable plural label, e.g. _l("Members")
    documents: Callable[[list[int]], Iterator[Document]]  # ids → their documents
    all_ids: Callable[[], Iterable[int]]  # every id to index on a rebuild
    load: Callable[[list[int]], dict[int, Any]]  # ids → objects (batch)
    visible: Callable[[Any, Any], bool]  # (viewer, object) → may the viewer see it?
    url: Callable[[Any], str]  # object → its page
    #: every document of the kind at once, for a rebuild: the same documents as `documents`
    #: of `all_ids`, read as plain columns in one pass (None: `documents` by batches of ids)
    bulk_documents: Callable[[], Iterator[Document]] | None = None


SEARCH_KINDS: dict[str, SearchKind] = {}
#: Functions viewer → extra audiences (e.g. the channels the viewer belongs to).
AUDIENCE_PROVIDERS: list[Callable[[Any], set[str]]] = []


def register_search_kind(kind: SearchKind) -> None:
    SEARCH_KINDS[kind.name] = kind


def register_audience_provider(provider: Callable[[Any], set[str]]) -> None:
    if provider not in AUDIENCE_PROVIDERS:
        AUDIENCE_PROVIDERS.append(provider)


#: Keys of the session's `info` where `index_later` leaves its marks for the search module.
INDEX_PENDING = "terreau_search_pending"
INDEX_HELD = "terreau_search_held"


def index_later(kind: str, object_id: int, *, new: bool = False, obj: Any = None) -> None:
    """Re-index the object once the current transaction commits (`new`: it was just
    created, so the index has nothing of it to replace; `obj`: the object itself, kept in
    the session's `info` until then so that its documents are built without asking for it
    again, even when it is not in the session: see `held_for_index`).

    Only marks the session: the search module builds the documents before the commit and
    writes them after it."""
    from network.extensions import db

    pending: dict[tuple[str, int], bool] = db.session.info.setdefault(INDEX_PENDING, {})
    pending[(kind, object_id)] = pending.get((kind, object_id), new) and new
    if obj is not None:
        db.session.info.setdefault(INDEX_HELD, []).append(obj)


def held_for_index(model: Any) -> dict[int, Any]:
    """id → object of `model` handed to `index_later` in this transaction (a search kind's
    loader looks here first: an object written with Core statements is in no identity map)."""
    from network.extensions import db

    held: list[Any] = db.session.info.get(INDEX_HELD, [])
    return {obj.id: obj for obj in held if isinstance(obj, model)}


def audiences_for(viewer: Any) -> set[str]:
    """The audiences whose documents `viewer` may read."""
    from network.core.permissions import is_staff

    found = {MEMBERS}
    if is_staff(viewer):
        found.add(STAFF)
    for provider in AUDIENCE_PROVIDERS:
        found |= provider(viewer)
    return found


# --- Notifications ---------------------------------------------------------------------


class Delivery(enum.StrEnum):
    """How a member is e-mailed about a kind of notification."""

    IMMEDIATELY = "immediately"
    DAILY = "daily"
    NEVER = "never"


DELIVERY_LABELS = {
    Delivery.IMMEDIATELY: _l("By e-mail at once"),
    Delivery.DAILY: _l("In a daily e-mail digest"),
    Delivery.NEVER: _l("Not by e-mail"),
}


@dataclass(frozen=True)
class NotificationKind:
    name: str
    label: Any  # shown in the e-mail preferences
    default: Delivery


NOTIFICATION_KINDS: dict[str, NotificationKind] = {}
OTHER_NOTIFICATIONS = "other"


def register_notification_kind(name: str, label: Any, default: Delivery) -> None:
    NOTIFICATION_KINDS[name] = NotificationKind(name, label, default)


# --- Members directory -----------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    value: str  # as sent back in the query string
    label: Any
    count: int


@dataclass(frozen=True)
class MemberFilter:
    """What a module adds to the members list under one query argument (e.g. `skill`)."""

    label: Any
    parse: Callable[[list[str]], list[Any]]  # raw query values → clean values, or `Invalid`
    clause: Callable[[Any, list[Any]], Any]  # (viewer, values) → SQL condition on members
    facet: Callable[[Any, Any], list[FacetValue]]  # (viewer, select of the filtered ids)
    reasons: Callable[[Any, list[Any], list[Any]], dict[int, list[Any]]]
    #: `clause` phrased for counting every match (facets) rather than finding a first page
    count_clause: Callable[[Any, list[Any]], Any] | None = None
    #: the JSON schema of the (repeatable) query argument, for the API's document
    schema: dict[str, Any] = field(
        default_factory=lambda: {"type": "array", "items": {"type": "string"}}
    )


MEMBER_FILTERS: dict[str, MemberFilter] = {}
#: (template, loader(member, viewer) → context) of the sections modules add to profiles.
PROFILE_SECTIONS: list[tuple[str, Callable[[Any, Any], dict[str, Any]]]] = []


def register_member_filter(name: str, member_filter: MemberFilter) -> None:
    MEMBER_FILTERS[name] = member_filter


def register_profile_section(template: str, loader: Callable[[Any, Any], dict[str, Any]]) -> None:
    if (template, loader) not in PROFILE_SECTIONS:
        PROFILE_SECTIONS.append((template, loader))


# --- Groups of members -----------------------------------------------------------------


@dataclass(frozen=True)
class MemberGroup:
    """A set of members another module may address (e.g. a channel's members, as the
    electorate of a decision) without importing the module that keeps it."""

    name: str  # "channel"
    label: Any  # translatable, e.g. _l("The members of a channel")
    choices: Callable[[Any], list[tuple[int, str]]]  # viewer → [(id, name)] they may pick
    members: Callable[[int], list[int]]  # id → the ids of its active members
    describe: Callable[[int], str | None]  # id → its name, None when it does not exist


MEMBER_GROUPS: dict[str, MemberGroup] = {}


def register_member_group(group: MemberGroup) -> None:
    MEMBER_GROUPS[group.name] = group


# --- Hooks between features -------------------------------------------------------------
#
# One provider each (the last registered wins) where a module needs another's service; a list
# of providers where several modules may contribute. None of them is required: with nothing
# plugged in, the callers get None or nothing.

#: (actor, member ids) → the URL of a private conversation between the actor and them (the
#: chat's direct conversation), created when new; None when no chat is plugged in.
_conversation_opener: list[Callable[[Any, list[int]], str | None]] = []


def register_conversation_opener(opener: Callable[[Any, list[int]], str | None]) -> None:
    _conversation_opener[:] = [opener]


def open_conversation(actor: Any, member_ids: list[int]) -> str | None:
    """Open (or find) the private conversation of `actor` with `member_ids`, in the current
    transaction; its URL, or None when no chat is plugged in."""
    return _conversation_opener[0](actor, member_ids) if _conversation_opener else None


@dataclass(frozen=True)
class SkillCatalogue:
    """The skills taxonomy as other features read it (the skills module registers it): they
    refer to skills by id and never import the skills module."""

    #: ids → {id: name in the reader's language} of those that exist and are not merged
    names: Callable[[Iterable[int]], dict[int, str]]
    #: [(id, name)] of the live skills, by name (for a form's choices)
    choices: Callable[[], list[tuple[int, str]]]
    #: member id → the ids of the skills they list
    held_by: Callable[[int], list[int]]


_skill_catalogue: list[SkillCatalogue] = []


def register_skill_catalogue(catalogue: SkillCatalogue) -> None:
    _skill_catalogue[:] = [catalogue]


def skill_catalogue() -> SkillCatalogue:
    """The registered catalogue; without a skills module, one that knows no skill."""
    if _skill_catalogue:
        return _skill_catalogue[0]
    return SkillCatalogue(lambda _ids: {}, lambda: [], lambda _member_id: [])


#: (team, subject, body, requester) → the URL of the service request opened.
_service_request_opener: list[Callable[[str, str, str, Any], str | None]] = []


def register_service_request_opener(opener: Callable[[str, str, str, Any], str | None]) -> None:
    _service_request_opener[:] = [opener]


def open_service_request(team: str, subject: str, body: str, requester: Any) -> str | None:
    """Ask a team of the support desk (e.g. "accounting") for something, in the current
    transaction (the opener flushes, never commits); the request's URL, or None when no
    service desk is plugged in."""
    if not _service_request_opener:
        return None
    return _service_request_opener[0](team, subject, body, requester)


@dataclass(frozen=True)
class Endorsement:
    """A skill of a member vouched for by another (what the directory shows)."""

    endorser_id: int
    endorser_name: str
    comment: str = ""
    withdraw_url: str = ""  # where its endorser POSTs to withdraw it


#: member ids → {member id: {skill id: [Endorsement]}}, in one query per provider.
SKILL_ENDORSEMENT_PROVIDERS: list[Callable[[list[int]], dict[int, dict[int, list[Endorsement]]]]]
SKILL_ENDORSEMENT_PROVIDERS = []


def register_skill_endorsements(
    provider: Callable[[list[int]], dict[int, dict[int, list[Endorsement]]]],
) -> None:
    if provider not in SKILL_ENDORSEMENT_PROVIDERS:
        SKILL_ENDORSEMENT_PROVIDERS.append(provider)


def skill_endorsements(member_ids: list[int]) -> dict[int, dict[int, list[Endorsement]]]:
    """Who vouched for which skill of these members (batch; empty without a provider)."""
    found: dict[int, dict[int, list[Endorsement]]] = {}
    if not member_ids:
        return found
    for provider in SKILL_ENDORSEMENT_PROVIDERS:
        for member_id, skills in provider(member_ids).items():
            mine = found.setdefault(member_id, {})
            for skill_id, endorsements in skills.items():
                mine.setdefault(skill_id, []).extend(endorsements)
    return found


#: (viewer, candidate member ids, asked skill ids) → {member id: [reason text]}: why "find
#: collaborators" proposes someone, beyond their listed skills (an open offer, past work).
COLLABORATOR_REASON_PROVIDERS: list[Callable[[Any, list[int], list[int]], dict[int, list[str]]]]
COLLABORATOR_REASON_PROVIDERS = []


def register_collaborator_reasons(
    provider: Callable[[Any, list[int], list[int]], dict[int, list[str]]],
) -> None:
    if provider not in COLLABORATOR_REASON_PROVIDERS:
        COLLABORATOR_REASON_PROVIDERS.append(provider)


def collaborator_reasons(
    viewer: Any, member_ids: list[int], skill_ids: list[int]
) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if not member_ids:
        return found
    for provider in COLLABORATOR_REASON_PROVIDERS:
        for member_id, reasons in provider(viewer, member_ids, skill_ids).items():
            found.setdefault(member_id, []).extend(reasons)
    return found


#: (viewer, member ids) → {member id: [short note]}: what a directory card says of a member
#: beyond their profile (e.g. their open offers of help).
MEMBER_CARD_NOTE_PROVIDERS: list[Callable[[Any, list[int]], dict[int, list[str]]]] = []


def register_member_card_notes(provider: Callable[[Any, list[int]], dict[int, list[str]]]) -> None:
    if provider not in MEMBER_CARD_NOTE_PROVIDERS:
        MEMBER_CARD_NOTE_PROVIDERS.append(provider)


def member_card_notes(viewer: Any, member_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if not member_ids:
        return found
    for provider in MEMBER_CARD_NOTE_PROVIDERS:
        for member_id, notes in provider(viewer, member_ids).items():
            found.setdefault(member_id, []).extend(notes)
    return found


# --- Settings of the cooperative -------------------------------------------------------


@dataclass(frozen=True)
class SettingSpec:
    """A rule of the cooperative (a statute threshold, a quota…): data, never a constant."""

    key: str
    default: int | bool | str
    label: Any
    help: Any = ""
    minimum: int | None = None
    maximum: int | None = None
    #: a text setting chosen from these (value, translatable label) pairs
    choices: tuple[tuple[str, Any], ...] = ()


SETTINGS: dict[str, SettingSpec] = {}


def register_setting(spec: SettingSpec) -> SettingSpec:
    SETTINGS[spec.key] = spec
    return spec


# --- Binding decisions of the associates ----------------------------------------------


@dataclass(frozen=True)
class BindingQuestion:
    """A question another module puts to the associates (e.g. a large loan to approve)."""

    title: str
    context: str  # Markdown
    closes_at: Any  # an aware datetime
    subject: str = ""  # e.g. "money_request", for the audit log


#: (actor, question) → the id of the binding decision opened for it. Registered by the
#: module that runs decisions (governance); its outcome comes back through the signal
#: `binding_decision_settled`. Empty when no module runs decisions.
BINDING_DECISION_OPENERS: list[Callable[[Any, BindingQuestion], int]] = []


def register_binding_decision_opener(opener: Callable[[Any, BindingQuestion], int]) -> None:
    BINDING_DECISION_OPENERS[:] = [opener]


def open_binding_decision(actor: Any, question: BindingQuestion) -> int | None:
    """Open a binding decision of the associates on `question` (in the caller's
    transaction); its id, or None when no module runs decisions. The opener's domain errors
    (`Forbidden`, `Invalid`) reach the caller."""
    if not BINDING_DECISION_OPENERS:
        return None
    return BINDING_DECISION_OPENERS[0](actor, question)


# --- Main navigation -------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    endpoint: str  # where the entry leads
    label: Any  # translatable
    order: int  # place in the header, smallest first
    #: endpoints or blueprint names ("chat.") under which the entry is the current page
    current: tuple[str, ...] = ()
    #: who sees it: None for every member, else a check of the viewer (e.g. `is_staff`)
    shown_to: Callable[[Any], bool] | None = None

    def is_current(self, endpoint: str | None) -> bool:
        names = self.current or (self.endpoint,)
        endpoint = endpoint or ""
        return any(endpoint.startswith(n) if n.endswith(".") else endpoint == n for n in names)


NAV_ITEMS: list[NavItem] = []


def register_nav_item(item: NavItem) -> None:
    """Add (or replace, by endpoint: an app may be built twice) an entry of the header."""
    NAV_ITEMS[:] = [entry for entry in NAV_ITEMS if entry.endpoint != item.endpoint] + [item]
    NAV_ITEMS.sort(key=lambda entry: entry.order)


def nav_items_for(viewer: Any) -> list[NavItem]:
    return [item for item in NAV_ITEMS if item.shown_to is None or item.shown_to(viewer)]


#: name → the count shown on a badge of the header for a member (unread conversations,
#: unread notifications), as a scalar subquery of the member's id: every page reads them all
#: in one statement (`header_counts`).
HEADER_COUNTS: dict[str, Callable[[int], Any]] = {}


def register_header_count(name: str, count: Callable[[int], Any]) -> None:
    HEADER_COUNTS[name] = count


# --- Start-up ---------------------------------------------------------------------------

#: name → what a module does at a server's start-up so that a fresh process's first pages cost
#: no more than the next ones (statements compiled, caches filled); run in an app context,
#: then rolled back.
WARM_UPS: dict[str, Callable[[], None]] = {}


def register_warm_up(name: str, warm_up: Callable[[], None]) -> None:
    WARM_UPS[name] = warm_up


def warm_up() -> None:
    """Run every module's start-up warm-up (`python -m network`, before it serves); what
    each read is rolled back after it (warm-ups read for no one and keep nothing)."""
    from network.extensions import db

    for run in WARM_UPS.values():
        try:
            run()
        finally:
            db.session.rollback()


# --- Readiness ----------------------------------------------------------------------------

#: name → a check `/readyz` runs besides the database's and Redis's: it returns None when what
#: it checks works, else a short reason (e.g. the search index cannot be read).
READINESS_CHECKS: dict[str, Callable[[], str | None]] = {}


def register_readiness_check(name: str, check: Callable[[], str | None]) -> None:
    READINESS_CHECKS[name] = check
