"""A sealed review's receipt: a short digest of what the buyer submitted, checkable after publication.

The digest is SHA-256 over a canonical serialisation (JSON, sorted keys, no spaces, UTF-8) of
the order number, the order item, the stars, the text and the moment it was submitted (UTC,
microseconds). The buyer sees its first RECEIPT_LENGTH hex characters when they submit; once
the review is public, anyone can recompute it from what the page shows and compare. Nothing
is revealed while the review is sealed: the check only ever reads public reviews.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

RECEIPT_LENGTH = 12
RECEIPT_PATTERN = re.compile(rf"^[0-9a-f]{{{RECEIPT_LENGTH}}}$")


def receipt_digest(*, order_number: str, order_item_id: int, stars: int, text: str, submitted_at: datetime) -> str:
    """The full hex digest of one submitted review (the receipt is its first RECEIPT_LENGTH characters)."""
    canonical = json.dumps(
        {
            "item": order_item_id,
            "order": order_number,
            "stars": stars,
            "submitted": submitted_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "text": text,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def receipt_of(*, order_number: str, order_item_id: int, stars: int, text: str, submitted_at: datetime) -> str:
    return receipt_digest(
        order_number=order_number, order_item_id=order_item_id, stars=stars, text=text, submitted_at=submitted_at
    )[:RECEIPT_LENGTH]


def receipt_normalise(value: str) -> str | None:
    """The receipt as typed, lower-cased without spaces or dashes; None when it cannot be one."""
    cleaned = re.sub(r"[\s-]", "", value or "").lower()
    return cleaned if RECEIPT_PATTERN.match(cleaned) else None


@dataclass(frozen=True)
class ReceiptCheck:
    """`matches` is None when no published review can be checked (missing, sealed or removed: the same answer)."""

    matches: bool | None
    review_id: int | None = None
    revised: bool = False
