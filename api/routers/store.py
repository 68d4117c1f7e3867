"""Store keys: a seller's tools, acting on the key's store only.

Every object is looked up inside `request_store(request)`: another store's object is a 404,
never a 403, as in the pages. The feedback, disputes and messages areas add their routers next
to this one (one router per area), with the store scopes of `api/scopes.py`.
"""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from api.auth import request_key, request_store, store_key
from api.schemas import KEY_PROBLEMS, dump, problems
from api.writes import json_response

router = Router(tags=["store"])


class StoreKeyOut(Schema):
    store_slug: str
    store_name: str
    key_prefix: str
    scopes: list[str]
    expires_at: datetime | None


@router.get(
    "/store", auth=store_key(), response={200: StoreKeyOut, **problems(*KEY_PROBLEMS)}, summary="The key's store"
)
def store_me(request: HttpRequest) -> HttpResponse:
    """Which store this key acts for, and what it may do."""
    key = request_key(request)
    store = request_store(request)
    return json_response(
        dump(
            StoreKeyOut,
            {
                "store_slug": store.slug,
                "store_name": store.name,
                "key_prefix": key.prefix,
                "scopes": key.scopes,
                "expires_at": key.expires_at,
            },
        )
    )
