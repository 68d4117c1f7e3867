from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from datetime import timedelta

        from portal import fragments, selectors, services, uploads
        from portal.actions import orders_to_ship_actions, register_store_actions
        from portal.deadlines import EVERY_MINUTE, HOURLY, register_sweep
        from portal.mail import use_readable_text_encoding

        use_readable_text_encoding()

        # Shipped orders OPINIA_AUTO_CONFIRM_REMINDER_DAYS before automatic confirmation: remind the buyer.
        register_sweep(
            "orders.auto_confirm_reminders",
            lambda now: services.orders_auto_confirm_reminder_sweep(now=now),
            schedule=EVERY_MINUTE,
        )
        # Shipped orders past OPINIA_AUTO_CONFIRM_DAYS with no open dispute: confirm receipt.
        register_sweep(
            "orders.auto_confirm", lambda now: services.orders_auto_confirm_sweep(now=now), schedule=EVERY_MINUTE
        )
        # Photos still processing after 5 minutes (their task was lost): process them again. Not a
        # clock of the product, so `run_deadlines` leaves it to beat: it only re-sends worker tasks.
        register_sweep(
            "photos.retry_stuck",
            lambda now: uploads.photos_retry_stuck(now=now),
            schedule=timedelta(minutes=5),
            deadline=False,
        )
        # Photos attached to nothing OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS after upload (a send
        # refused after storing them): delete the rows, then their files. Retention, left to beat.
        register_sweep(
            "photos.prune_unattached",
            lambda now: uploads.photos_prune_unattached(now=now),
            schedule=HOURLY,
            deadline=False,
        )
        register_store_actions(orders_to_ship_actions)

        from portal.settings_sections import StoreSettingsSection, register_store_settings_section

        register_store_settings_section(
            StoreSettingsSection(
                key="delivery_times",
                label=_("Delivery times"),
                description=_("How many days a parcel takes to each country by each shipping method."),
                url_name="portal:store_delivery_times",
            )
        )
        # Product photos (and the photo an order item was sold with) are public, like the listing.
        uploads.register_photo_access(selectors.photo_is_public_listing)
        fragments.register_photo_content(selectors.stores_showing_product_photo)

        from portal import weekly_summary
        from portal.demo import register_demo_seeder

        weekly_summary.register_kind()
        weekly_summary.register_core_sections()
        # Stores whose Saturday 09:00 (store time) has come: send the weekly summary, advance the clock.
        register_sweep(
            "stores.weekly_summary",
            lambda now: weekly_summary.weekly_summaries_sweep(now=now),
            schedule=EVERY_MINUTE,
        )
        register_demo_seeder(weekly_summary.seed_weekly_summary)
        _renew_store_profiles_on_save()


# Store fields written by the clocks that no public page shows: saving only these renews nothing.
STORE_FIELDS_NOT_SHOWN = frozenset({"weekly_summary_due_at"})


def _renew_store_profiles_on_save() -> None:
    """A store, product, working hours or holiday saved or deleted renews the store's `profile` parts.

    On the models' own signals, so that every save counts (the admin, the API, services, data
    fixes); bulk writes, which send none, call `fragments.content_changed` themselves.
    """
    from django.db.models.signals import post_delete, post_save

    from portal import fragments
    from portal.models import Product, Store, StoreHoliday, WorkingHours

    def store_saved(instance: Store, update_fields: frozenset[str] | None = None, **kwargs: object) -> None:
        if update_fields is not None and update_fields <= STORE_FIELDS_NOT_SHOWN:
            return
        fragments.content_changed(topic="profile", store_id=instance.pk)

    def part_saved(instance: Product | StoreHoliday | WorkingHours, **kwargs: object) -> None:
        fragments.content_changed(topic="profile", store_id=instance.store_id)

    def product_saved(instance: Product, **kwargs: object) -> None:
        part_saved(instance)
        left = instance.loaded_store_id
        if left is not None and left != instance.store_id:
            # Moved to another store by this save: the store it left lists it no more, and its
            # slug there leads nowhere (the public API's kept ids, `api.public_reads`).
            fragments.content_changed(topic="profile", store_id=left)
            # Both stores' star summaries add up their products' counts.
            fragments.content_changed(topic="feedback", store_id=left)
            fragments.content_changed(topic="feedback", store_id=instance.store_id)
        instance.loaded_store_id = instance.store_id

    post_save.connect(store_saved, sender=Store, weak=False, dispatch_uid="profile-store-saved")
    post_delete.connect(store_saved, sender=Store, weak=False, dispatch_uid="profile-store-deleted")
    post_save.connect(product_saved, sender=Product, weak=False, dispatch_uid="profile-Product-saved")
    post_delete.connect(part_saved, sender=Product, weak=False, dispatch_uid="profile-Product-deleted")
    for model in (StoreHoliday, WorkingHours):
        post_save.connect(part_saved, sender=model, weak=False, dispatch_uid=f"profile-{model.__name__}-saved")
        post_delete.connect(part_saved, sender=model, weak=False, dispatch_uid=f"profile-{model.__name__}-deleted")
