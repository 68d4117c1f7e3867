"""The orders' answers are built of plain values: they are validated and written without
django-ninja's attribute lookup, to the same JSON."""

import pytest

from api.routers.orders import OrderOut, OrderPage, order_out
from api.schemas import dump, dump_plain
from api.tests.conftest import ApiClient, order_body
from portal.selectors import order_get_external


def test_an_order_is_written_as_its_schema_writes_it(marketplace_store: ApiClient):
    assert marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-1")).status_code == 201
    data = order_out(order_get_external(external_ref="MP-1"))
    assert dump_plain(OrderOut, data) == dump(OrderOut, data)
    page = {"items": [data, data], "next_cursor": "abc"}
    assert dump_plain(OrderPage, page) == dump(OrderPage, page)


def test_the_order_ingest_answers_without_ninjas_attribute_lookup(marketplace_store: ApiClient, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("validated through the ninja schema")

    monkeypatch.setattr(OrderOut, "model_validate", refuse)
    response = marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-1"))
    assert response.status_code == 201
    assert response.json()["external_ref"] == "MP-1"


def test_a_value_the_schema_refuses_is_refused(marketplace_store: ApiClient):
    assert marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-1")).status_code == 201
    data = order_out(order_get_external(external_ref="MP-1"))
    with pytest.raises(ValueError, match="status"):
        dump_plain(OrderOut, {**data, "status": "lost"})
