"""The yardstick of `bench/pages_vs_bare.py`: the cheapest review list Django can serve.

One keyset query over the reviews table and a 20-row template (no context processors: the
site's navigation is part of what is measured against it), through the same middleware
as every page. Mounted only when `OPINIA_BENCH_BARE_PAGE` is set (portal/urls.py), so it is
never among production URLs.
"""

from django.db.models import Subquery
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.views.decorators.http import require_GET

from feedback.models import ItemReview
from feedback.selectors import PUBLIC
from portal.models import Store
from portal.pagination import Cursor, cursor_decode, cursor_encode, rows_after

PAGE_SIZE = 20

TEMPLATE = engines["django"].from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ slug }}</title></head><body>
<h1>{{ slug }}</h1><ol>{% for review in reviews %}
<li><b>{{ review.stars }}/5</b> <time>{{ review.published_at|date:"Y-m-d H:i" }}</time> {{ review.text }}</li>{% endfor %}
</ol>{% if next_cursor %}<a href="?after={{ next_cursor }}">next</a>{% endif %}</body></html>"""
)


@require_GET
def bare_reviews_page(request: HttpRequest, slug: str) -> HttpResponse:
    # The store as a scalar subquery, not a join: joined, PostgreSQL estimates the rows from the
    # average store and sorts all of a big store's reviews (450 ms at 1M) instead of reading the
    # first 21 from the store's feed index.
    store_id = Subquery(Store.objects.filter(slug=slug).values("pk")[:1])
    reviews = ItemReview.objects.filter(PUBLIC, store_id=store_id, is_automatic=False)
    position = cursor_decode(request.GET.get("after"))
    if position is not None:
        reviews = reviews.filter(rows_after(position, moment_field="published_at"))
    rows = list(reviews.order_by("-published_at", "-pk").only("pk", "stars", "text", "published_at")[: PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1]
        assert last.published_at is not None
        next_cursor = cursor_encode(Cursor(last.published_at, last.pk))
    return HttpResponse(TEMPLATE.render({"slug": slug, "reviews": rows, "next_cursor": next_cursor}))
