"""Shared helpers of the Python SDK's tests: the real server's address and admin key (from the environment the Node
runner sets), admin calls, unique names, and a fault-injecting TCP proxy in front of the real server."""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import unittest
import urllib.error
import urllib.request
import uuid
from typing import Any, Dict, List, Optional, Tuple

from spendguard import Spendguard

URL = os.environ.get("SPENDGUARD_URL", "")
KEY = os.environ.get("SPENDGUARD_API_KEY", "")


def require_server(case: unittest.TestCase) -> None:
    if not URL or not KEY:
        case.skipTest("SPENDGUARD_URL / SPENDGUARD_API_KEY not set (run through `npm test -- packages/sdk-python`)")


def client(**kwargs: Any) -> Spendguard:
    kwargs.setdefault("retry_base_delay", 0.05)
    return Spendguard(**kwargs)


def unique(prefix: str) -> str:
    return f"py-{prefix}-{uuid.uuid4().hex[:10]}"


def admin(method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Tuple[int, Any]:
    """A raw management call with the admin key; never raises on HTTP errors."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {KEY}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            raw = res.read()
            return res.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def create_agent(name: str, limits: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    status, body = admin("POST", "/v1/agents", {"name": name, **({"limits": limits} if limits else {})})
    assert status == 201, (status, body)
    assert isinstance(body, dict)
    return body


def agent_spend(name: str) -> int:
    status, body = admin("GET", f"/v1/agents/{name}")
    assert status == 200, (status, body)
    return int(body["spend"]["month_micros"])


class FaultProxy:
    """A TCP proxy to the real server. Per connection (urllib sends ``Connection: close``, so one request each) it
    reads the whole request, then, by the plan for that connection number:

    - ``"forward"``: forwards it and relays the answer;
    - ``"drop"``: forwards it, reads the server's whole answer, and closes the client's socket without sending it
      (a response lost on the way back: the server did the work, the client never heard);
    - ``"503"``: answers ``503 unavailable`` with ``Retry-After`` itself, forwarding nothing.

    Connections beyond the plan use ``default``. ``requests`` keeps every request's raw bytes.
    """

    def __init__(self, plan: List[str], default: str = "forward", retry_after: str = "0") -> None:
        host, port = URL.replace("http://", "").split(":")
        self.upstream = (host, int(port.rstrip("/")))
        self.plan = list(plan)
        self.default = default
        self.retry_after = retry_after
        self.requests: List[bytes] = []
        self.upstream_answers: List[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        self._sock.close()

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def idempotency_keys(self) -> List[Optional[str]]:
        keys: List[Optional[str]] = []
        for raw in self.requests:
            head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            found = None
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "idempotency-key":
                    found = value.strip()
            keys.append(found)
        return keys

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            request = _read_request(conn)
            with self._lock:
                index = len(self.requests)
                self.requests.append(request)
                action = self.plan[index] if index < len(self.plan) else self.default
            if action == "503":
                body = b'{"error":{"code":"unavailable","message":"Injected outage."}}'
                conn.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                    + f"Retry-After: {self.retry_after}\r\nContent-Length: {len(body)}\r\n".encode()
                    + b"Connection: close\r\n\r\n"
                    + body
                )
                return
            with socket.create_connection(self.upstream, timeout=10) as up:
                up.sendall(request)
                answer = b""
                while True:
                    chunk = up.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            with self._lock:
                self.upstream_answers.append(answer)
            if action == "drop":
                # Reset rather than a clean FIN, so the client sees the connection die mid-request.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            conn.sendall(answer)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest
