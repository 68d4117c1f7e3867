"""Sending deliveries: claim due ones, POST them signed outside any transaction, record the outcome.

The sweep claims a batch with `SELECT … FOR UPDATE SKIP LOCKED` and stamps each row with a
claim (a token and `claimed_until`) in one short transaction, so two workers take disjoint
batches. The POSTs happen after that commit, on a few threads (network only, no database),
and each outcome is written back with a compare-and-set on the claim token: a worker that
lost its claim (it took too long, another worker retried) records its attempt but changes
nothing else. A worker killed between the claim and the outcome leaves the claim to lapse;
the next sweep after `claimed_until` sends the delivery again: at least once, never lost.
"""

import contextlib
import functools
import ipaddress
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from portal.events import iso
from portal.notify import notify
from portal.selectors import users_with_permission
from webhooks.models import DisabledReason, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

# The wait before each retry, after a failed attempt (the Standard Webhooks / Svix schedule,
# with three more 10-hour steps): 13 attempts over about 2 days 20 hours, then the delivery
# fails and the endpoint is disabled.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    *(timedelta(hours=10),) * 6,
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
# The most of a response body that is read and kept (the attempt log shows it).
RESPONSE_BODY_CAP = 1024
# A claim outlives the slowest send of its batch: BATCH_SIZE / SENDERS rounds of connect+read.
BATCH_SIZE = 64
SENDERS = 16
CLAIM_TTL = timedelta(seconds=60)
# The longest a sweep waits for its batch's sends, well inside the claim: a send still running
# then is recorded as a timeout (retried with backoff) before another worker may take it.
BATCH_WAIT_SECONDS = 45.0
# The per-attempt deadline is capped so that a batch's rounds of SENDERS fit in BATCH_WAIT_SECONDS.
MAX_ATTEMPT_SECONDS = 40.0
# The body is read in pieces of this size, the deadline checked between them.
READ_CHUNK = 256
MAX_BATCHES_PER_RUN = 50
USER_AGENT = "Opinia-Webhooks/1"


class TargetRefused(Exception):
    """The endpoint's host resolves to an address deliveries may not reach."""

    def __init__(self, detail: str, *, code: str, params: dict[str, Any]) -> None:
        super().__init__(detail)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Outgoing:
    """What a sender thread needs: no model instances cross into the threads."""

    delivery_id: int
    claim_token: uuid.UUID
    url: str
    event_id: str
    body: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    attempted_at: datetime
    status: int | None
    duration_ms: int
    body: str
    error: str
    # What the owner reads: a code of `models.ATTEMPT_ERRORS` and its parameters.
    error_code: str = ""
    error_params: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def event_body(event: WebhookEvent) -> str:
    """The JSON body of an event, the same bytes on every attempt (Standard Webhooks' type/timestamp/data)."""
    return json.dumps(
        {
            "id": event.public_id,
            "type": event.type,
            "timestamp": iso(event.created_at),
            "subject": event.subject,
            "sequence": event.sequence,
            "data": event.payload,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> tuple[str, ...]:
    """The secrets that sign now: the current one, and the previous one during the rotation overlap."""
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


@functools.lru_cache(maxsize=256)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def sign_headers(*, event_id: str, body: str, secrets: Sequence[str], moment: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers; several secrets give space-separated signatures."""
    signature = " ".join(_signer(secret).sign(msg_id=event_id, timestamp=moment, data=body) for secret in secrets)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }


# IPv6 ranges that carry an IPv4 address inside them (NAT64 well-known and local-use prefixes,
# IPv4-compatible, IPv4-translated): `is_global` judges the IPv6 form, so `64:ff9b::a9fe:a9fe`
# would pass while a NAT64 gateway connects to 169.254.169.254. The embedded IPv4 is checked instead.
_EMBEDDED_IPV4_NETWORKS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
)


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether deliveries may reach `address`: global unicast, an IPv6 form of an internal IPv4 refused.

    Used by the endpoint form (literal addresses) and by every delivery (resolved addresses).
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_is_public(address.ipv4_mapped)
        if any(address in network for network in _EMBEDDED_IPV4_NETWORKS):
            # The last 32 bits are the IPv4 (RFC 6052 /96; the /48 local-use prefix is refused outright).
            if address in _EMBEDDED_IPV4_NETWORKS[1]:
                return False
            return address_is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not address.is_multicast


def _address_allowed(address: str) -> bool:
    return address_is_public(ipaddress.ip_address(address.split("%")[0]))


def resolve_target(host: str, port: int) -> str:
    """Resolve `host` and return the address to connect to; refuse it if any address is not public.

    Every address is checked (a name with one public and one private address is refused),
    and the connection then goes to the checked address itself, so a second lookup cannot
    point it elsewhere. OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS lets development and tests
    deliver to localhost.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(f"cannot resolve {host}: {error}", code="unresolvable", params={"host": host}) from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise TargetRefused(f"cannot resolve {host}", code="unresolvable", params={"host": host})
    if not settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        refused = [address for address in addresses if not _address_allowed(address)]
        if refused:
            raise TargetRefused(
                f"{host} resolves to a private or reserved address ({refused[0]})",
                code="private_address",
                params={"host": host, "address": refused[0]},
            )
    return addresses[0]


def attempt_seconds() -> float:
    """The wall-clock limit of one attempt (OPINIA_WEBHOOKS_ATTEMPT_SECONDS, capped inside the claim)."""
    return min(float(settings.OPINIA_WEBHOOKS_ATTEMPT_SECONDS), MAX_ATTEMPT_SECONDS)


class _AttemptWatch:
    """One attempt's deadline: at the deadline a timer shuts the connection's socket down.

    A socket timeout bounds each read, not the whole answer: a receiver sending one byte
    every few seconds (in the status line, the headers or the body) would keep the sender
    thread for as long as it likes. Shutting the socket down wakes the blocked read at once.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._connection: Any = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_AttemptWatch":
        _watching.attempt = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _watching.attempt = None

    def attach(self, connection: Any) -> None:
        """The connection about to wait for the answer (called in the sender thread)."""
        with self._lock:
            self._connection = connection
            if self.expired:
                _shut_down(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._connection is not None:
                _shut_down(self._connection)


_watching = threading.local()


def _shut_down(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        # The plain socket's shutdown, also under TLS: the reading thread owns the SSL object.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def getresponse(self) -> Any:
        watch = getattr(_watching, "attempt", None)
        if watch is not None:
            watch.attach(self)
        return super().getresponse()


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def getresponse(self) -> Any:
        watch = getattr(_watching, "attempt", None)
        if watch is not None:
            watch.attach(self)
        return super().getresponse()


def _timeout(attempted_at: datetime, status: int | None, duration_ms: int, body: str, seconds: float) -> Outcome:
    return Outcome(
        attempted_at,
        status,
        duration_ms,
        body,
        f"no complete answer within {seconds:g} s",
        "timeout",
        {"seconds": f"{seconds:g}"},
    )


def _failure(attempted_at: datetime, status: int | None, duration_ms: int, error: Exception, code: str) -> Outcome:
    return Outcome(attempted_at, status, duration_ms, "", f"{type(error).__name__}: {error}"[:300], code)


_pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(scheme: str, address: str, port: int, host: str) -> urllib3.HTTPConnectionPool:
    key = (scheme, address, port, host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
            if scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    address,
                    port,
                    timeout=timeout,
                    retries=False,
                    maxsize=SENDERS,
                    server_hostname=host,
                    assert_hostname=host,
                )
                pool.ConnectionCls = _WatchedHTTPSConnection
            else:
                pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=SENDERS)
                pool.ConnectionCls = _WatchedHTTPConnection
            _pools[key] = pool
    return pool


def post(
    *, url: str, body: str, headers: dict[str, str], resolved: dict[tuple[str, int], str] | None = None
) -> Outcome:
    """POST once: no redirects followed, timeouts on connect and read, at most RESPONSE_BODY_CAP bytes read."""
    started = time.monotonic()
    attempted_at = timezone.now()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in {"http", "https"} or not host:
        return Outcome(attempted_at, None, 0, "", "only http and https URLs can receive webhooks", "scheme")
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        address = resolved[(host, port)] if resolved and (host, port) in resolved else resolve_target(host, port)
    except TargetRefused as error:
        return Outcome(attempted_at, None, elapsed(), "", str(error)[:300], error.code, error.params)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host and parts.port is None:
        host_header = f"[{host}]"
    elif ":" in host:
        host_header = f"[{host}]:{parts.port}"
    all_headers = {
        **headers,
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    limit = attempt_seconds()
    deadline = started + limit
    with _AttemptWatch(max(deadline - time.monotonic(), 0.0)) as watch:
        try:
            response = _pool(scheme, address, port, host).urlopen(
                "POST",
                path,
                body=body.encode(),
                headers=all_headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except urllib3.exceptions.HTTPError as error:
            if watch.expired:
                return _timeout(attempted_at, None, elapsed(), "", limit)
            code = "timeout" if isinstance(error, urllib3.exceptions.TimeoutError) else "connection"
            if code == "timeout":
                return _timeout(attempted_at, None, elapsed(), "", CONNECT_TIMEOUT)
            return _failure(attempted_at, None, elapsed(), error, code)
        data = b""
        try:
            # Small reads against the deadline; the watch cuts a read that blocks past it.
            while len(data) <= RESPONSE_BODY_CAP and time.monotonic() < deadline:
                chunk = response.read(min(READ_CHUNK, RESPONSE_BODY_CAP + 1 - len(data)), decode_content=False)
                if not chunk:
                    break
                data += chunk
        except urllib3.exceptions.HTTPError as error:
            response.close()
            if watch.expired or isinstance(error, urllib3.exceptions.TimeoutError):
                return _timeout(attempted_at, response.status, elapsed(), "", limit)
            return _failure(attempted_at, response.status, elapsed(), error, "connection")
        if watch.expired or time.monotonic() >= deadline:
            # The status came in time (a 2xx is a delivery: the receiver has the event); the
            # body kept for the log is what arrived before the deadline.
            response.close()
            text = data[:RESPONSE_BODY_CAP].decode("utf-8", errors="replace")
            return _timeout(attempted_at, response.status, elapsed(), text, limit)
    complete = len(data) <= RESPONSE_BODY_CAP and response.length_remaining in (0, None) and not response.chunked
    if complete:
        response.release_conn()
    else:
        # Never read the rest of a large answer: drop the connection instead.
        response.close()
    text = data[:RESPONSE_BODY_CAP].decode("utf-8", errors="replace")
    if 300 <= response.status < 400:
        location = response.headers.get("Location", "")[:200]
        return Outcome(
            attempted_at,
            response.status,
            elapsed(),
            text,
            "redirect not followed: " + location,
            "redirect",
            {"location": location},
        )
    if not 200 <= response.status < 300:
        return Outcome(
            attempted_at,
            response.status,
            elapsed(),
            text,
            f"HTTP {response.status}",
            "http_status",
            {"status": response.status},
        )
    return Outcome(attempted_at, response.status, elapsed(), text, "")


def send(outgoing: Outgoing, resolved: dict[tuple[str, int], str] | None = None) -> Outcome:
    moment = timezone.now()
    headers = sign_headers(event_id=outgoing.event_id, body=outgoing.body, secrets=outgoing.secrets, moment=moment)
    try:
        return post(url=outgoing.url, body=outgoing.body, headers=headers, resolved=resolved)
    except Exception as error:  # a sender thread must always report back; the attempt is logged
        logger.exception("Webhook delivery %s failed unexpectedly", outgoing.delivery_id)
        return _failure(moment, None, 0, error, "internal")


CLAIM_SQL = """
SELECT d.id FROM webhooks_webhookdelivery d
JOIN webhooks_webhookendpoint e ON e.id = d.endpoint_id
WHERE d.status = 'pending' AND d.next_attempt_at <= %s
  AND (d.claimed_until IS NULL OR d.claimed_until <= %s)
  AND e.is_active
  AND NOT EXISTS (
      SELECT 1 FROM webhooks_webhookdelivery earlier
      WHERE earlier.status = 'pending' AND earlier.endpoint_id = d.endpoint_id
        AND earlier.subject = d.subject AND earlier.sequence < d.sequence
  )
ORDER BY d.next_attempt_at, d.id
LIMIT %s"""


def deliveries_claim(*, now: datetime, limit: int) -> list[Outgoing]:
    """Claim up to `limit` due deliveries for this worker, in one short transaction.

    Due means pending, `next_attempt_at` reached, not held by a live claim, to an active
    endpoint, and no earlier event about the same object still pending to the same endpoint
    (events of one object arrive in order). Rows another worker is claiming are skipped.
    """
    token = uuid.uuid4()
    with transaction.atomic():
        with connection.cursor() as cursor:
            sql = CLAIM_SQL + (" FOR UPDATE OF d SKIP LOCKED" if connection.vendor == "postgresql" else "")
            cursor.execute(sql, [now, now, limit])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        WebhookDelivery.objects.filter(pk__in=ids).update(claimed_until=now + CLAIM_TTL, claim_token=token)
        deliveries = list(
            WebhookDelivery.objects.filter(pk__in=ids)
            .select_related("event", "endpoint")
            .order_by("next_attempt_at", "id")
        )
    return [
        Outgoing(
            delivery_id=delivery.pk,
            claim_token=token,
            url=delivery.endpoint.url,
            event_id=delivery.event.public_id,
            body=event_body(delivery.event),
            secrets=signing_secrets(delivery.endpoint, now=now),
        )
        for delivery in deliveries
    ]


RECORDED_FIELDS = [
    "attempts",
    "last_attempt_at",
    "claimed_until",
    "claim_token",
    "status",
    "delivered_at",
    "next_attempt_at",
]


def deliveries_record(results: Sequence[tuple[Outgoing, Outcome]]) -> list[WebhookDelivery]:
    """Write a batch's attempts and move each delivery on: delivered, retried later, or failed (endpoint disabled).

    One short transaction for the whole batch. The update is a compare-and-set on this
    worker's claim: the rows are locked and re-read with the claim token, so a delivery whose
    claim lapsed and was taken by another worker gets its attempt logged and nothing else.
    Returns the deliveries that were moved on.
    """
    if not results:
        return []
    with transaction.atomic():
        ours = {
            delivery.pk: delivery
            for delivery in WebhookDelivery.objects.select_for_update().filter(
                pk__in=[outgoing.delivery_id for outgoing, _ in results], status=WebhookDelivery.Status.PENDING
            )
        }
        WebhookAttempt.objects.bulk_create(
            WebhookAttempt(
                delivery_id=outgoing.delivery_id,
                attempted_at=outcome.attempted_at,
                response_status=outcome.status,
                duration_ms=outcome.duration_ms,
                response_body=outcome.body,
                error=outcome.error,
                error_code=outcome.error_code,
                error_params=outcome.error_params,
                succeeded=outcome.succeeded,
            )
            for outgoing, outcome in results
        )
        moved: list[WebhookDelivery] = []
        for outgoing, outcome in results:
            delivery = ours.get(outgoing.delivery_id)
            if delivery is None or delivery.claim_token != outgoing.claim_token:
                continue
            delivery.attempts += 1
            delivery.last_attempt_at = outcome.attempted_at
            delivery.claimed_until = None
            delivery.claim_token = None
            if outcome.succeeded:
                delivery.status = WebhookDelivery.Status.DELIVERED
                delivery.delivered_at = outcome.attempted_at
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
                endpoint_disable_after_failure(endpoint_id=delivery.endpoint_id, now=outcome.attempted_at)
            else:
                delivery.next_attempt_at = outcome.attempted_at + RETRY_DELAYS[delivery.attempts - 1]
            moved.append(delivery)
        WebhookDelivery.objects.bulk_update(moved, RECORDED_FIELDS)
    return moved


def delivery_record(*, outgoing: Outgoing, outcome: Outcome) -> WebhookDelivery | None:
    """Record one attempt (see `deliveries_record`); None when the claim was no longer this worker's."""
    moved = deliveries_record([(outgoing, outcome)])
    return moved[0] if moved else None


def endpoint_disable_after_failure(*, endpoint_id: int, now: datetime) -> None:
    """Disable the endpoint whose delivery ran out of retries and tell its owner (or the staff who manage it)."""
    endpoint = WebhookEndpoint.objects.select_for_update(of=("self",)).select_related("store").get(pk=endpoint_id)
    if not endpoint.is_active:
        return
    endpoint.is_active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = DisabledReason.RETRIES_EXHAUSTED
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    params: dict[str, Any] = {"url": endpoint.url, "endpoint_id": endpoint.pk, "attempts": MAX_ATTEMPTS}
    if endpoint.store is not None:
        params["store_slug"] = endpoint.store.slug
        recipients = [endpoint.store.owner_id]
    else:
        recipients = list(users_with_permission(perm="webhooks.manage_endpoints").values_list("pk", flat=True))
    for user_id in recipients:
        notify(user_id=user_id, kind="webhook_endpoint_disabled", params=params, now=now)


def _resolve_once(batch: Sequence[Outgoing]) -> dict[tuple[str, int], str]:
    """Resolve and check each target of a batch once (one DNS lookup per host, not per delivery).

    A refused host is left out: its sends resolve it again and record the refusal.
    """
    resolved: dict[tuple[str, int], str] = {}
    for outgoing in batch:
        parts = urlsplit(outgoing.url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            continue
        if host and (host, port) not in resolved:
            with contextlib.suppress(TargetRefused):
                resolved[(host, port)] = resolve_target(host, port)
    return resolved


_executors: dict[int, ThreadPoolExecutor] = {}


def _executor(senders: int) -> ThreadPoolExecutor:
    """The process's sender threads (network only: they never touch the database), made once."""
    with _pools_lock:
        if senders not in _executors:
            _executors[senders] = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="webhook-sender")
        return _executors[senders]


def _send_all(batch: Sequence[Outgoing], *, senders: int) -> list[Outcome]:
    """Send a batch on the sender threads, waiting at most BATCH_WAIT_SECONDS for the whole of it.

    A send still running then (a stuck name lookup, a thread starved by slow receivers) is
    recorded as a timeout and retried with backoff, while the claim is still this worker's;
    its late result is dropped.
    """
    started = timezone.now()
    clock = time.monotonic()
    resolved = _resolve_once(batch)
    executor = _executor(senders)
    futures: list[Future[Outcome]] = [executor.submit(send, outgoing, resolved) for outgoing in batch]
    wait(futures, timeout=max(BATCH_WAIT_SECONDS - (time.monotonic() - clock), 0.0))
    outcomes = []
    for future in futures:
        if future.done():
            outcomes.append(future.result())
        else:
            future.cancel()
            waited = int((time.monotonic() - clock) * 1000)
            outcomes.append(_timeout(started, None, waited, "", BATCH_WAIT_SECONDS))
    return outcomes


def deliveries_send_batch(*, now: datetime, limit: int = BATCH_SIZE, senders: int = SENDERS) -> int:
    """Claim a batch, send it on `senders` threads, record every outcome; return how many were attempted."""
    batch = deliveries_claim(now=now, limit=limit)
    if not batch:
        return 0
    if len(batch) == 1 or senders <= 1:
        outcomes = [send(outgoing) for outgoing in batch]
    else:
        outcomes = _send_all(batch, senders=senders)
    deliveries_record(list(zip(batch, outcomes, strict=True)))
    return len(batch)


def webhooks_deliver_sweep(*, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Send every due delivery, a batch at a time, at most MAX_BATCHES_PER_RUN batches a run."""
    total = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        # A later batch claims against the clock of its own moment (a run can last a while),
        # never earlier than the `now` the run was given.
        sent = deliveries_send_batch(now=max(now, timezone.now()), limit=batch_size)
        total += sent
        if sent < batch_size:
            break
    return total
