"""The benchmark's yardstick page: never mounted by default; when mounted, a keyset list of public reviews."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from feedback.bare_page import PAGE_SIZE, bare_reviews_page
from feedback.tests.test_review_lists import T, review_on


def test_the_bare_page_is_not_among_the_urls_by_default():
    with pytest.raises(NoReverseMatch):
        reverse("bench_bare_page", args=["any"])


def test_the_bare_page_lists_public_reviews_newest_first_in_keyset_pages(product):
    reviews = [review_on(product, at=T + timedelta(minutes=n), text=f"review {n}") for n in range(PAGE_SIZE + 2)]
    first = bare_reviews_page(RequestFactory().get("/"), slug=product.store.slug).content.decode()
    assert first.index("review 21") < first.index("review 20")
    assert "review 1<" not in first
    assert "review 0<" not in first
    cursor = first.split('href="?after=')[1].split('"')[0]
    second = bare_reviews_page(RequestFactory().get("/", {"after": cursor}), slug=product.store.slug).content.decode()
    assert "review 1<" in second
    assert "review 0<" in second
    assert "review 2<" not in second
    assert len(reviews) == PAGE_SIZE + 2
