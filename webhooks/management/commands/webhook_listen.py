"""A local receiver for people integrating: verifies each request's signature and prints the event."""

import contextlib
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

# Bodies above this are refused before they are read: Opinia's events are far smaller.
MAX_BODY = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Run a local webhook receiver: POST requests signed with --secret are printed; "
        "a missing or wrong signature is answered 400 and reported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--secret", required=True, help="The endpoint's signing secret (whsec_…).")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            webhook = Webhook(options["secret"])
        except Exception as error:
            raise CommandError(f"Not a signing secret: {error}") from None
        server = listener(webhook=webhook, host=options["host"], port=options["port"], out=self)
        self.stdout.write(f"Listening on http://{options['host']}:{server.server_address[1]}/ (Ctrl+C stops)")
        # Ctrl+C is how a person stops the listener: close the socket and end quietly.
        with contextlib.suppress(KeyboardInterrupt):
            try:
                server.serve_forever()
            finally:
                server.server_close()


def listener(*, webhook: Webhook, host: str, port: int, out: BaseCommand) -> ThreadingHTTPServer:
    """The receiver's HTTP server, bound and ready; `serve_forever()` runs it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, "body too large")
                return
            body = self.rfile.read(length)
            try:
                event = webhook.verify(body, dict(self.headers.items()))
            except (WebhookVerificationError, ValueError) as error:
                out.stderr.write(f"Rejected {self.headers.get('webhook-id', '(no id)')}: {error}")
                self._answer(400, f"signature verification failed: {error}")
                return
            out.stdout.write(
                f"{self.headers['webhook-id']} {event.get('type', '?')}\n{json.dumps(event, indent=2, ensure_ascii=False)}"
            )
            self._answer(200, "ok")

        def _answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the command prints each event itself."""

    return ThreadingHTTPServer((host, port), Handler)
