"""HTTP for the message centre, one module per page group (see `messaging/urls.py`).

`common` holds what the groups share; `inbox`, `conversations` (the thread, and writing to a
store), `safety` (blocks and reports), `store` (the store side), `support` (the support
chat) and `notifications` (notifications and e-mail preferences).
"""
