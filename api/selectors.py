"""Reads of the api app: finding the key a request carries, and a store's keys."""

import copy
import hmac
import threading
from time import monotonic

from django.db.models import QuerySet

from api.models import ApiKey
from api.services import KEY_PREFIX, PREFIX_LENGTH, key_hash
from portal.models import Store

# A key found is remembered in the web process for this long, so that a busy integration does
# not look its key up on every request. A change to a key (revocation, above all) is seen at
# once by the process that made it (`api_keys_forget`, on every save) and by the other
# processes within this bound: a revoked key is refused everywhere at most this many seconds later,
# and a change of the key creator's language (the key's problems' language) is seen as soon.
KEY_CACHE_SECONDS = 5.0
_key_cache: dict[str, tuple[float, ApiKey]] = {}
_key_cache_lock = threading.Lock()


def api_keys_forget(*, created_by_id: int | None = None) -> None:
    """Drop this process's remembered keys (whenever a key is saved or deleted), or only those
    created by user `created_by_id` (whenever a user is saved: the problems a key gets without
    Accept-Language are in its creator's language)."""
    with _key_cache_lock:
        if created_by_id is None:
            _key_cache.clear()
            return
        for digest, (_expiry, key) in list(_key_cache.items()):
            if key.created_by_id == created_by_id:
                del _key_cache[digest]


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The key `raw_key` names if it exists and its secret matches; None otherwise.

    Validity (revoked, expired) is judged by the caller, which knows the time. The lookup is by
    the visible prefix; the secret is compared in constant time. A key found is remembered for
    KEY_CACHE_SECONDS (by the hash of the whole key, so only the right secret finds it); each
    caller gets its own copy, and a store key's store is read afresh by whoever needs it.
    """
    prefix = raw_key[:PREFIX_LENGTH]
    if not prefix.startswith(KEY_PREFIX) or raw_key[PREFIX_LENGTH : PREFIX_LENGTH + 1] != "_":
        return None
    digest = key_hash(raw_key)
    moment = monotonic()
    cached = _key_cache.get(digest)
    if cached is not None and cached[0] > moment:
        return copy.copy(cached[1])
    key = ApiKey.objects.select_related("created_by").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    with _key_cache_lock:
        _key_cache[digest] = (moment + KEY_CACHE_SECONDS, key)
    return copy.copy(key)


def api_key_remember_use(*, raw_key: str, key: ApiKey) -> None:
    """The remembered copy of `key` learns its new last use (written by `api_key_touch`)."""
    cached = _key_cache.get(key_hash(raw_key))
    if cached is not None and cached[1].pk == key.pk:
        cached[1].last_used_at = key.last_used_at


def api_keys_for_store(*, store: Store) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(store=store, kind=ApiKey.Kind.STORE).order_by("-created_at", "-pk")
