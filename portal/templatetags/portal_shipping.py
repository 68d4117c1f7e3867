"""An order's carrier and tracking page in templates."""

from django import template

from portal.carriers import carrier_name, tracking_url
from portal.models import Order

register = template.Library()


@register.filter(name="tracking_url")
def order_tracking_url(order: Order) -> str:
    return tracking_url(carrier=order.carrier, number=order.tracking_number)


@register.filter(name="carrier_name")
def order_carrier_name(order: Order) -> str:
    return carrier_name(order.carrier) if order.carrier else ""
