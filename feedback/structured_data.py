"""schema.org JSON-LD for the product and store pages, built from the same rows the page shows.

The aggregate is the page's own star summary (every public rating, removed ones left out, the
numbers shown beside the stars); the `Review` items are the written reviews of the list page
being shown (automatic ratings, which have no author or words, and removed reviews are never
among them). Serialised so that no review text can close the script element.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from feedback.models import ItemReview
from feedback.selectors import StarSummary

# What the HTML parser could read as markup inside a script element: < > & (and the line
# separators some JavaScript parsers reject), as JSON escapes, which mean the same characters.
_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def aggregate_rating(summary: StarSummary) -> dict[str, Any] | None:
    if not summary.count or summary.average is None:
        return None
    return {
        "@type": "AggregateRating",
        "ratingValue": summary.average,
        "ratingCount": summary.count,
        "bestRating": 5,
        "worstRating": 1,
    }


def review_items(reviews: Iterable[ItemReview]) -> list[dict[str, Any]]:
    return [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": review.buyer.public_name},
            "datePublished": review.published_at.date().isoformat(),
            "reviewRating": {"@type": "Rating", "ratingValue": review.stars, "bestRating": 5, "worstRating": 1},
            **({"reviewBody": review.text} if review.text else {}),
        }
        for review in reviews
        if review.is_public and not review.is_automatic and review.published_at is not None
    ]


def thing(
    *, kind: str, name: str, url: str, aggregate: dict[str, Any] | None, reviews: list[dict[str, Any]]
) -> dict[str, Any]:
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": kind, "name": name, "url": url}
    if aggregate:
        data["aggregateRating"] = aggregate
    if reviews:
        data["review"] = reviews
    return data


def json_ld_script(data: dict[str, Any]) -> SafeString:
    """A `<script type="application/ld+json">` holding `data`; safe whatever the texts in it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))
