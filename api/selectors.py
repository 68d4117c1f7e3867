"""Reads of the api app: finding the key a request carries, and a store's keys."""

import hmac

from django.db.models import QuerySet

from api.models import ApiKey
from api.services import KEY_PREFIX, PREFIX_LENGTH, key_hash
from portal.models import Store


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The key `raw_key` names if it exists and its secret matches; None otherwise.

    Validity (revoked, expired) is judged by the caller, which knows the time. The lookup is by
    the visible prefix; the secret is compared in constant time.
    """
    prefix = raw_key[:PREFIX_LENGTH]
    if not prefix.startswith(KEY_PREFIX) or raw_key[PREFIX_LENGTH : PREFIX_LENGTH + 1] != "_":
        return None
    key = ApiKey.objects.select_related("store", "created_by").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, key_hash(raw_key)):
        return None
    return key


def api_keys_for_store(*, store: Store) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(store=store, kind=ApiKey.Kind.STORE).order_by("-created_at", "-pk")
