"""Each message's copy of its conversation's buyer and store, filled where it is missing.

The inbox search looks a term up among one inbox's messages through indexes on (owner, text)
(`selectors._text_match_conversation_ids`); a message gets its owners when it is written
(`Message.save`). Messages written before that are filled by migration 0014 (its own copy of
this); those written by processes of an older release still running while a new one starts
are filled here, by `python manage.py fill_message_owners` after the restart.
"""

from typing import Any

# Messages per statement: each statement is its own transaction, so that the rows it updates
# are locked briefly and the table is never locked as a whole.
BATCH = 10_000


def fill_message_owners(connection: Any, *, batch: int = BATCH) -> int:
    """Give every message without an owner its conversation's buyer and store; how many were filled."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(
                "UPDATE messaging_message SET "
                "buyer_id = (SELECT c.buyer_id FROM messaging_conversation c WHERE c.id = conversation_id), "
                "store_id = (SELECT c.store_id FROM messaging_conversation c WHERE c.id = conversation_id) "
                "WHERE buyer_id IS NULL"
            )
            return cursor.rowcount
        cursor.execute("SELECT min(id), max(id) FROM messaging_message WHERE buyer_id IS NULL")
        first, last = cursor.fetchone()
        filled = 0
        if first is None:
            return filled
        # By ranges of the primary key, so that each statement reads one range of its index.
        for start in range(first, last + 1, batch):
            cursor.execute(
                "UPDATE messaging_message m SET buyer_id = c.buyer_id, store_id = c.store_id "
                "FROM messaging_conversation c "
                "WHERE m.id >= %s AND m.id < %s AND m.buyer_id IS NULL AND c.id = m.conversation_id",
                [start, start + batch],
            )
            filled += cursor.rowcount
        return filled
