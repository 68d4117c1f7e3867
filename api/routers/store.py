"""Store keys: a seller's tools, acting on the key's store only.

Every object is looked up inside `request_store(request)`: another store's object is a 404,
never a 403, as in the pages. The feedback, disputes and messages areas add their routers next
to this one (one router per area), with the store scopes of `api/scopes.py`.
"""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router, Schema

from api.auth import request_key, request_store, store_key
from api.routers.public import ReviewOut, review_out
from api.schemas import KEY_PROBLEMS, dump, problems
from api.writes import json_response
from feedback import selectors as feedback_selectors

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


@router.get(
    "/store/reviews/{review_id}",
    auth=store_key("feedback:read"),
    response={200: ReviewOut, **problems(*KEY_PROBLEMS, 404)},
    summary="One published review of the store",
)
def store_review(request: HttpRequest, review_id: int = Path(..., ge=1, le=2**63 - 1)) -> HttpResponse:
    """A published review of the key's store; a sealed review or another store's is a 404."""
    review = feedback_selectors.review_get_for_store(store=request_store(request), review_id=review_id)
    return json_response(dump(ReviewOut, review_out(request, review)))
