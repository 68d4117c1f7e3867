"""Cached parts of the public pages, invalidated by a content version per store and topic.

A public page's costly parts (a store's review list, score header and explanation, response
rate) are the same for every anonymous visitor. They are kept in Django's cache (Redis in
production) under a key made of the variant asked for (filters, sort, cursor) and, for rendered
HTML, the language and time zone, together with the store's *content versions* for the topics
they show (`feedback`, `responses`) when they were built; one read (MGET) fetches the entry and
the current versions. A change never edits a cached entry: the service that makes it calls
`content_changed(topic=…, store_id=…)`, which gives the store a new version, and an entry built
under an older one is never served again (the next reader rebuilds it; unread, it expires with
FRAGMENT_TIMEOUT).

**When the version moves.** `content_changed` bumps twice: at once, inside the service's
transaction, and again after the commit (`transaction.on_commit`). The second bump is the one
that makes the change safe: a reader that saw the first bump before the commit and rendered
the old rows has stored them under a version that is then abandoned. The first makes the
change visible to reads later in the same transaction (and to tests, whose transactions never
commit); a rolled-back change costs only a needless re-render. A version column on the store
would be exact without the double bump, but every review publication (sweeps publish in
batches) would then update and lock the store's row until commit, and each read would
depend on the store row being re-read: the cache keeps the writes apart and costs one cache
read per page.

**Time.** Some parts change with the clock alone (a rating leaves the 180-day window, a week
ends, an unanswered message becomes a late one). Their builders return the moment until which
they hold (`valid_until`); an entry read after that moment is rebuilt, whatever the version.

**Parts within parts.** A part may be built from other cached parts (a store page's body holds
the review list and the score). The enclosing part must be keyed by every topic of the parts it
holds (checked while it is built: a part naming a topic its enclosing part lacks is refused),
and it holds only as long as the soonest of them: each inner part, read or built, reports its
moment to the part being built around it, as does `holds_until` for what is computed in the
build itself (a store's local time, its opening hours).

Only content that is the same for every visitor goes in: what depends on the viewer (a
"Report" link, a "Message the seller" form) is added after the cached part is read
(`feedback.panels` fills its report slots per request).
"""

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

from portal.replica import primary_reads

# An entry not read again for this long is dropped by the cache; versions never expire (a
# lost version only means one re-render: the new one is a fresh token, never an old one).
FRAGMENT_TIMEOUT = 60 * 60
# `delivery`: a store's delivery-time table; `shipments`: its promised shipments (the on-time share).
# `helpful`: the review lists' helpful counts, apart from `feedback` so that a vote renews
# the lists only, never the score header and its charts.
# `listing`: a product's photos on its public page.
# `penalties`: a store's live penalty points (the restriction banner of its public pages).
# `profile`: what a store shows of itself (its name and country, products, working hours,
# holidays, busy switch), renewed by the models' own saves (portal.signals) and by bulk writes.
TOPICS = ("feedback", "responses", "delivery", "shipments", "helpful", "listing", "penalties", "profile")

# One build at a time per entry: the processes that miss an entry while another builds it wait
# for its result instead of building it too. A store's body over a million ratings takes
# ~150 ms to build from nothing; sixteen requests building it at once, each at a sixteenth of
# the CPU, would each wait seconds. The lock lapses after BUILD_LOCK_SECONDS (a builder that
# died, or a build slower than that: one more process then builds it too); a waiter builds it
# itself after BUILD_WAIT_POLLS × BUILD_POLL_SECONDS whatever the lock says.
BUILD_LOCK_SECONDS = 2
BUILD_POLL_SECONDS = 0.01
BUILD_WAIT_POLLS = 300


@dataclass
class _Building:
    """A part being built: the topics it is keyed by and the moments its contents hold until."""

    name: str
    topics: frozenset[str]
    moments: list[datetime] = field(default_factory=list)


_building: ContextVar[_Building | None] = ContextVar("fragment_building", default=None)


def holds_until(moment: datetime | None) -> None:
    """What the part being built shows changes by itself at `moment`: it is rebuilt from then on.

    Outside a build (a page drawn without a cache around it) there is nothing to tell.
    """
    building = _building.get()
    if building is not None and moment is not None:
        building.moments.append(moment)


def _version_key(topic: str, store_id: int) -> str:
    return f"content-version:{topic}:{store_id}"


# Every part is also built under the rules' version: a new version of the rules (a score window,
# a deadline) may change what any part shows, so publishing one renews them all (`rules_changed`).
# Rare, so a per-part list of the rules each part reads would not be worth keeping right.
RULES_VERSION_KEY = "content-version:rules"


def rules_changed() -> None:
    """A version of the rules was published: every cached part is built again. Call from the
    service, inside its transaction (renewed at once and after the commit, as `content_changed`)."""
    _renew(RULES_VERSION_KEY, mark=_PUBLISHED)


# Each process keeps the list of the rules' versions for a few seconds (portal.rules.CACHE_SECONDS):
# one that sees a version moved by a publication (not one made again for a cache that lost it)
# forgets its list before it builds, or it would store a part drawn under the old rules (and not
# held until a version published for later) under the new version.
_PUBLISHED = "published-"
_rules_version_seen: str | None = None


def _building_under_rules(version: str) -> None:
    global _rules_version_seen
    if version.startswith(_PUBLISHED) and version != _rules_version_seen:
        from portal import rules

        rules.forget()
        _rules_version_seen = version


def _fresh_version() -> str:
    # Never a value used before, even after the cache lost the key: old entries stay unreachable.
    # The random part keeps two bumps apart when the clock does not move between them (a coarse
    # clock, or a frozen one in tests).
    return f"{time.time_ns():x}-{secrets.token_hex(4)}"


def content_versions(*, topics: Sequence[str], store_id: int) -> tuple[str, ...]:
    """The store's current version for each topic (one cache read), creating the missing ones."""
    keys = [_version_key(topic, store_id) for topic in topics]
    return _versions_of(keys, cache.get_many(keys))


def _versions_of(keys: Sequence[str], found: dict[str, Any]) -> tuple[str, ...]:
    """The versions under `keys` among those `found` in the cache, creating the missing ones."""
    versions = []
    for key in keys:
        version = found.get(key)
        if version is None:
            # `add`: if another process created the version meanwhile, keep theirs.
            cache.add(key, _fresh_version(), timeout=None)
            version = cache.get(key) or _fresh_version()
        versions.append(str(version))
    return tuple(versions)


def _renew(key: str, *, mark: str = "") -> None:
    """A fresh version under `key`, at once and again after the commit (see *When the version moves*)."""
    cache.set(key, mark + _fresh_version(), timeout=None)
    transaction.on_commit(lambda: cache.set(key, mark + _fresh_version(), timeout=None))


def content_changed(*, topic: str, store_id: int) -> None:
    """What `topic` shows of the store has changed: call from the service, inside its transaction."""
    if topic not in TOPICS:
        raise ValueError(f"Unknown content topic {topic!r}.")
    _renew(_version_key(topic, store_id))


# Who shows a photo in a cached part: (photo id) -> the (topic, store id) pairs to renew.
PhotoContent = Callable[[int], Iterable[tuple[str, int]]]
PHOTO_CONTENT: list[PhotoContent] = []
# Who shows a user's public name in a cached part: (user id) -> the (topic, store id) pairs to renew.
UserContent = Callable[[int], Iterable[tuple[str, int]]]
USER_CONTENT: list[UserContent] = []


def register_photo_content(finder: PhotoContent) -> None:
    if finder not in PHOTO_CONTENT:
        PHOTO_CONTENT.append(finder)


def register_user_content(finder: UserContent) -> None:
    if finder not in USER_CONTENT:
        USER_CONTENT.append(finder)


def photo_became_public_content(*, photo_id: int) -> None:
    """A photo is ready to be shown: the cached lists that leave it out until then are renewed."""
    for finder in PHOTO_CONTENT:
        for topic, store_id in set(finder(photo_id)):
            content_changed(topic=topic, store_id=store_id)


def user_public_name_changed(*, user_id: int) -> None:
    """A user's public name changed: the cached lists that show it are renewed."""
    for finder in USER_CONTENT:
        for topic, store_id in set(finder(user_id)):
            content_changed(topic=topic, store_id=store_id)


def cached[T](
    *,
    name: str,
    topics: Sequence[str],
    store_id: int,
    variant: Sequence[Any] = (),
    build: Callable[[], tuple[T, datetime | None]],
    localized: bool = True,
    now: datetime | None = None,
) -> T:
    """The value `build()` makes, from the cache while the store's versions and its moment hold.

    `build` returns (value, valid_until or None). `localized` values (rendered HTML) are kept
    per language and time zone; data (numbers, dataclasses) once for all.
    """
    enclosing = _building.get()
    if enclosing is not None and not enclosing.topics.issuperset(topics):
        raise ValueError(
            f"{name!r} shows topics {sorted(set(topics) - enclosing.topics)} that {enclosing.name!r}, "
            "built around it, is not keyed by: a change to them would leave the enclosing part stale."
        )
    reading = lookup(name=name, topics=topics, store_id=store_id, variant=variant, localized=localized)
    key, version_keys = reading.key, reading.version_keys
    # One round trip: the entry and the versions it must have been built under. The entry keeps
    # its versions inside (one key per variant, overwritten when a version moves) rather than in
    # its key, so that the versions need not be known before the entry is looked up.
    found = cache.get_many([key, *version_keys])
    versions = _versions_of(version_keys, found)
    moment = now or timezone.now()
    entry = _current_entry(found.get(key), versions, moment)
    if entry is not None:
        return _served(entry)
    lock, lock_token = key + ":building", secrets.token_hex(8)
    holds_lock = cache.add(lock, lock_token, timeout=BUILD_LOCK_SECONDS)
    polls = 0
    while not holds_lock and polls < BUILD_WAIT_POLLS:
        # Another process is building this entry: wait for it rather than build it again,
        # reading only the lock while it lasts (the entry may be a large page body).
        polls += 1
        time.sleep(BUILD_POLL_SECONDS)
        if cache.get(lock) is not None:
            continue
        found = cache.get_many([key, *version_keys])
        versions = _versions_of(version_keys, found)
        entry = _current_entry(found.get(key), versions, now or timezone.now())
        if entry is not None:
            return _served(entry)
        # Built under versions that have moved since, or not built (the build failed): one of
        # the waiters builds it now, the others go on waiting.
        holds_lock = cache.add(lock, lock_token, timeout=BUILD_LOCK_SECONDS)
    _building_under_rules(versions[0])  # RULES_VERSION_KEY's, first of `_version_keys`
    building = _Building(name=name, topics=frozenset(topics))
    token = _building.set(building)
    try:
        # From the primary, even on a replica-reading page: a miss right after a version bump on a
        # lagging replica would otherwise store the old rows under the new version for FRAGMENT_TIMEOUT.
        with primary_reads():
            value, valid_until = build()
        valid_until = min(building.moments + ([valid_until] if valid_until is not None else []), default=None)
        cache.set(key, (versions, value, valid_until), timeout=FRAGMENT_TIMEOUT)
    finally:
        _building.reset(token)
        # Not a lock that lapsed during a long build and that another process holds now.
        if holds_lock and cache.get(lock) == lock_token:
            cache.delete(lock)
    holds_until(valid_until)
    return value


class HeldVersionMoved(Exception):
    """A version a `Lookup` was asked to check is no longer the store's: what was read under it is stale."""


@dataclass(frozen=True)
class Lookup:
    """What `cached` would serve from the cache, read without building: for a caller that answers
    only what is kept already and leaves a miss to the code that builds it (the public API's
    reads ahead of the site's middleware, `api.public_reads`), reading `keys` together with its
    own (one round trip).

    `held_keys`: the versions under which the caller read something else it relies on (the ids a
    URL's slugs led to), checked in the same read: `HeldVersionMoved` when one has moved.
    """

    key: str
    version_keys: list[str]
    held_keys: dict[str, str]

    @property
    def keys(self) -> list[str]:
        return [self.key, *self.version_keys, *self.held_keys]

    def value(self, found: dict[str, Any], now: datetime | None = None) -> Any | None:
        """The kept value among what was `found` under `keys`, else None; `HeldVersionMoved` when a
        held version is no longer the store's."""
        if any(found.get(held_key) != version for held_key, version in self.held_keys.items()):
            raise HeldVersionMoved
        entry = _current_entry(found.get(self.key), _versions_of(self.version_keys, found), now or timezone.now())
        return None if entry is None else _served(entry)


def lookup(
    *,
    name: str,
    topics: Sequence[str],
    store_id: int,
    variant: Sequence[Any] = (),
    localized: bool = True,
    held: Mapping[str, str] | None = None,
) -> Lookup:
    """What `cached` with these arguments (but the build) reads, and how it answers from it;
    `held`: topic → the store's version the caller read something else under."""
    return Lookup(
        key=_entry_key(name=name, store_id=store_id, variant=variant, localized=localized),
        version_keys=_version_keys(topics, store_id),
        held_keys={_version_key(topic, store_id): version for topic, version in (held or {}).items()},
    )


def _version_keys(topics: Sequence[str], store_id: int) -> list[str]:
    return [RULES_VERSION_KEY, *(_version_key(topic, store_id) for topic in topics)]


def _entry_key(*, name: str, store_id: int, variant: Sequence[Any], localized: bool) -> str:
    parts: list[Any] = [name, store_id, *variant]
    if localized:
        parts += [translation.get_language(), timezone.get_current_timezone_name()]
    # Hashed: a variant carries visitor input (a cursor), which must not shape the key itself.
    return "fragment:v3:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _served[T](entry: tuple[T, datetime | None]) -> T:
    """A cached entry's value, its moment told to the part being built around it."""
    value, valid_until = entry
    holds_until(valid_until)
    return value


def _current_entry(entry: Any, versions: tuple[str, ...], moment: datetime) -> tuple[Any, datetime | None] | None:
    """(value, valid_until) of a cached entry built under `versions` and holding at `moment`, else None."""
    if isinstance(entry, tuple) and len(entry) == 3:
        built_under, value, valid_until = entry
        if built_under == versions and (valid_until is None or moment < valid_until):
            return value, valid_until
    return None
