"""verify_webhook: valid, tampered, stale, rotated secrets — and a real delivery from the server."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
import unittest
from typing import List, Tuple

from _support import URL, admin, require_server

from spendguard import WebhookVerificationError, verify_webhook

SECRET = "whsec_test_secret"
BODY = b'{"id":"whevt_1","type":"webhook.test","created_at":"2026-12-08T00:00:00Z","data":{}}'


def sign(body: bytes, t: int, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


class VerifyWebhookTest(unittest.TestCase):
    def test_valid(self) -> None:
        now = int(time.time())
        event = verify_webhook(BODY, f"t={now},v1={sign(BODY, now)}", SECRET)
        self.assertEqual(event["id"], "whevt_1")
        self.assertEqual(verify_webhook(BODY.decode(), f"t={now},v1={sign(BODY, now)}", SECRET)["type"], "webhook.test")

    def test_several_v1_any_may_match(self) -> None:
        now = 1_800_000_000
        header = f"t={now},v1={sign(BODY, now, 'whsec_old')},v1={sign(BODY, now)}"
        self.assertEqual(verify_webhook(BODY, header, SECRET, now=now)["id"], "whevt_1")

    def test_tampered_body_or_wrong_secret(self) -> None:
        now = int(time.time())
        header = f"t={now},v1={sign(BODY, now)}"
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY.replace(b"webhook.test", b"agent.resumed"), header, SECRET)
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, header, "whsec_other")
        with self.assertRaises(WebhookVerificationError):  # the timestamp is signed too
            verify_webhook(BODY, f"t={now + 1},v1={sign(BODY, now)}", SECRET)

    def test_stale_or_future(self) -> None:
        now = 1_800_000_000
        old = now - 301
        with self.assertRaises(WebhookVerificationError) as caught:
            verify_webhook(BODY, f"t={old},v1={sign(BODY, old)}", SECRET, now=now)
        self.assertIn("tolerance", str(caught.exception))
        future = now + 301
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, f"t={future},v1={sign(BODY, future)}", SECRET, now=now)
        self.assertEqual(
            verify_webhook(BODY, f"t={old},v1={sign(BODY, old)}", SECRET, tolerance_seconds=600, now=now)["id"],
            "whevt_1",
        )

    def test_missing_or_malformed_header(self) -> None:
        for header in (None, "", "v1=abc", "t=soon,v1=" + "0" * 64, "t=1800000000"):
            with self.assertRaises(WebhookVerificationError, msg=repr(header)):
                verify_webhook(BODY, header, SECRET, now=1_800_000_000)


class RealDeliveryTest(unittest.TestCase):
    def test_a_delivery_from_the_server_verifies(self) -> None:
        require_server(self)
        received: List[Tuple[bytes, str]] = []
        arrived = threading.Event()

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append((body, self.headers.get("Spendguard-Signature", "")))
                self.send_response(204)
                self.end_headers()
                arrived.set()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        webhook_id = None
        try:
            status, created = admin(
                "POST", "/v1/webhooks", {"url": f"http://127.0.0.1:{server.server_address[1]}/hook"}
            )
            self.assertEqual(status, 201, created)
            webhook_id = created["id"]
            status, _ = admin("POST", f"/v1/webhooks/{created['id']}/test", {})
            self.assertEqual(status, 202)
            self.assertTrue(arrived.wait(30), "no delivery within 30 s")
            body, header = received[0]
            event = verify_webhook(body, header, created["secret"])
            self.assertEqual(event["type"], "webhook.test")
            with self.assertRaises(WebhookVerificationError):
                verify_webhook(body + b" ", header, created["secret"])
            with self.assertRaises(WebhookVerificationError):
                verify_webhook(json.dumps(json.loads(body), indent=2), header, created["secret"])
        finally:
            server.shutdown()
            server.server_close()
            if webhook_id is not None:
                admin("DELETE", f"/v1/webhooks/{webhook_id}")


if __name__ == "__main__":
    unittest.main()
