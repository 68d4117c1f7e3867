"""The score's pictures: weekly positive feedback and the stars, drawn as SVG with their numbers in a table."""

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from feedback import services
from feedback.charts import weeks_chart
from feedback.models import FeedbackWindow, ItemReview, ModerationDecision
from feedback.scoring import star_class
from feedback.selectors import store_score_weeks
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from portal.tests.factories import UserFactory

NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)  # a Wednesday: the last week is 28 May – 3 June
DAY = timedelta(days=1)


def publish(store, buyer, stars, at):
    """One rating of one item, published at `at` (the seller rates second, which publishes both)."""
    order = complete_order(buyer, store, at=at - DAY, items=1)
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    buyer_rates(window, buyer, stars=stars, now=at - timedelta(hours=1))
    seller_rates(window, store.owner, now=at)
    return ItemReview.objects.get(window=window)


@pytest.fixture
def rated(store, staff):
    """A small history that exercises every rule: merged, removed, neutral, 0 %, and too old."""
    a, b, c, d, e, f, g = (UserFactory() for _ in range(7))
    publish(store, a, 5, datetime(2026, 6, 1, 9, tzinfo=UTC))  # last week: positive
    publish(store, b, 1, datetime(2026, 6, 2, 9, tzinfo=UTC))  # last week: negative
    removed = publish(store, c, 4, datetime(2026, 5, 30, 9, tzinfo=UTC))  # last week, removed below
    publish(store, d, 5, datetime(2026, 5, 22, 9, tzinfo=UTC))  # week before: positive
    publish(store, d, 2, datetime(2026, 5, 25, 9, tzinfo=UTC))  # same buyer within 10 days: merged
    publish(store, e, 3, datetime(2026, 5, 26, 9, tzinfo=UTC))  # week before: neutral
    publish(store, f, 2, datetime(2026, 4, 22, 9, tzinfo=UTC))  # six weeks earlier: 0 %
    publish(store, g, 5, datetime(2025, 11, 1, 9, tzinfo=UTC))  # older than 26 weeks
    services.review_moderate(
        review_id=removed.pk, moderator=staff, decision=ModerationDecision.Decision.REMOVE, now=NOW - DAY
    )
    return store


def from_scratch(store, now, weeks=26):
    """Each week's counted ratings straight from the reviews, by the rule (no buckets read)."""
    first = now.date() - timedelta(days=7 * weeks - 1)
    by_buyer = defaultdict(list)
    for review in ItemReview.objects.filter(store=store, published_at__isnull=False).order_by("published_at", "pk"):
        by_buyer[review.buyer_id].append(review)
    counts = [defaultdict(int) for _ in range(weeks)]
    for reviews in by_buyer.values():
        anchor = None
        for review in reviews:
            if review.removed_at is not None:
                continue
            if anchor is not None and review.published_at < anchor + timedelta(days=10):
                continue  # merged into the same buyer's earlier rating
            anchor = review.published_at
            day = review.published_at.astimezone(UTC).date()
            if first <= day <= now.date():
                counts[(day - first).days // 7][star_class(review.stars)] += 1
    result = {}
    for n, week in enumerate(counts):
        rated = week["positive"] + week["negative"]
        result[first + timedelta(days=7 * n)] = (
            week["positive"],
            week["neutral"],
            week["negative"],
            round(week["positive"] * 100 / rated, 1) if rated else None,
        )
    return result


def table_rows(html, table_id):
    table = re.search(rf'<div class="visually-hidden"><table id="{table_id}">.*?</table>', html, flags=re.S)
    assert table, f"no {table_id} table"
    rows = re.findall(r'<tr data-[a-z]+="([^"]+)">(.*?)</tr>', table.group(0), flags=re.S)
    return {
        key: [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        for key, row in rows
    }


def page(client, url):
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_weekly_chart_and_table_match_a_count_from_scratch(client, rated):
    html = page(client, reverse("portal:store_page", args=[rated.slug]))
    expected = from_scratch(rated, NOW)
    # The data set's own arithmetic, as a reader would do it.
    assert expected[datetime(2026, 5, 28).date()] == (1, 0, 1, 50.0)  # the removed 4★ left out
    assert expected[datetime(2026, 5, 21).date()] == (1, 1, 0, 100.0)  # the 2★ merged, the 3★ neutral
    assert expected[datetime(2026, 4, 16).date()] == (0, 0, 1, 0.0)
    rows = table_rows(html, "chart-weeks-data")
    assert len(rows) == 26
    for start, (positive, neutral, negative, percent) in expected.items():
        cells = rows[start.isoformat()]
        assert cells[1:4] == [str(positive), str(neutral), str(negative)], start
        assert cells[4] == (f"{percent}%" if percent is not None else "no ratings"), start
    svg = re.search(r'<svg class="chart-svg" role="img" aria-labelledby="chart-weeks-title".*?</svg>', html, re.S)
    assert svg
    assert '<title id="chart-weeks-title">Positive feedback per week, last 26 weeks' in svg.group(0)
    bars = dict(re.findall(r'data-week="([0-9-]+)" data-percent="([0-9.]+)"', svg.group(0)))
    assert bars == {start.isoformat(): str(p[3]) for start, p in expected.items() if p[3] is not None}
    # Heights are the percentages of the plot (160 units); a 0 % week still shows a sliver.
    heights = dict(
        re.findall(
            r'data-week="([0-9-]+)" data-percent="[0-9.]+" x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="([0-9.]+)"',
            svg.group(0),
        )
    )
    assert heights == {"2026-05-28": "80.0", "2026-05-21": "160.0", "2026-04-16": "2.0"}


def test_stars_chart_and_table_match_the_published_ratings(client, rated):
    html = page(client, reverse("portal:store_page", args=[rated.slug]))
    public = ItemReview.objects.filter(store=rated, published_at__isnull=False, removed_at__isnull=True)
    expected = {stars: public.filter(stars=stars).count() for stars in range(1, 6)}
    assert expected == {5: 3, 4: 0, 3: 1, 2: 2, 1: 1}  # the merged 2★ is public; the removed 4★ is not
    rows = table_rows(html, "chart-stars-data")
    total = sum(expected.values())
    for stars, count in expected.items():
        assert rows[str(stars)][1:] == [str(count), f"{round(count * 100 / total)}%"]
    svg = re.search(r'aria-labelledby="chart-stars-title".*?</svg>', html, re.S).group(0)
    assert "7 published ratings by stars" in svg
    drawn = {int(s): int(c) for s, c in re.findall(r'data-stars="(\d)" data-count="(\d+)"', svg)}
    assert drawn == {stars: count for stars, count in expected.items() if count}


def test_the_seller_dashboard_draws_the_same_charts(client, rated, seller):
    client.force_login(seller)
    dashboard = page(client, reverse("portal:store_dashboard", args=[rated.slug]))
    public = page(client, reverse("portal:store_page", args=[rated.slug]))
    for table in ("chart-weeks-data", "chart-stars-data"):
        assert table_rows(dashboard, table) == table_rows(public, table)


def test_an_empty_store_says_so_instead_of_drawing(client, store, seller):
    for url in (reverse("portal:store_page", args=[store.slug]), reverse("portal:store_dashboard", args=[store.slug])):
        client.force_login(seller)
        html = page(client, url)
        assert "No counted ratings in these weeks yet: the chart appears with the first ones." in html
        assert "No published ratings yet." in html
        assert "<svg" not in html


def test_chart_labels_are_translated_and_numbers_stay_machine_readable(client, rated):
    client.cookies["django_language"] = "pl"
    html = page(client, reverse("portal:store_page", args=[rated.slug]))
    svg = re.search(r'aria-labelledby="chart-weeks-title".*?</svg>', html, re.S).group(0)
    assert "Pozytywne opinie w kolejnych tygodniach" in svg
    # Coordinates are never written with a decimal comma, whatever the language.
    assert not re.search(r'(x|y|width|height)="\d+,\d', svg)
    assert "50,0%" in table_rows(html, "chart-weeks-data")["2026-05-28"][4]


def test_weeks_end_today_and_cover_whole_days(db):
    from portal.tests.factories import StoreFactory

    store = StoreFactory()
    weeks = store_score_weeks(store=store, now=NOW, weeks=26)
    assert weeks[-1].end == NOW.date()
    assert weeks[0].start == NOW.date() - timedelta(days=181)
    assert all((w.end - w.start).days == 6 for w in weeks)
    assert not weeks_chart(weeks).has_data
