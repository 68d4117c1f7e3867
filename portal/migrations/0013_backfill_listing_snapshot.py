"""Items recorded before the listing snapshot existed get their product's listing as it is now.

That is the best record left of what was sold; products had no photos before this release,
so there is no photo to copy. Set-based, in batches of the items still empty, so a large
table is filled without one long transaction holding every row.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery

BATCH = 5000


def backfill(apps, schema_editor):
    OrderItem = apps.get_model("portal", "OrderItem")
    Product = apps.get_model("portal", "Product")
    product = Product.objects.filter(pk=OuterRef("product_id"))
    last = 0
    while True:
        ids = list(
            OrderItem.objects.filter(pk__gt=last, sold_title="").order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        last = ids[-1]
        OrderItem.objects.filter(pk__in=ids).update(
            sold_title=Subquery(product.values("title")[:1]),
            sold_description=Subquery(product.values("description")[:1]),
            sold_price=Subquery(product.values("price")[:1]),
            sold_currency=Subquery(product.values("currency")[:1]),
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0012_order_item_listing_snapshot")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
