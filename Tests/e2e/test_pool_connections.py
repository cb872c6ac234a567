"""The pool speaks FastCGI to nginx over kept connections: an idle kept connection must not
hold a pool thread.

These tests talk FastCGI to the pool's socket directly, as nginx does with
`fastcgi_keep_conn on`: each request's FCGI_BEGIN_REQUEST carries FCGI_KEEP_CONN, and the
connection stays open after the answer. With more idle kept connections than the pool has
threads, a request on one more connection must still be answered at once; a pool that ties a
thread to each connection leaves it waiting in the listen queue.
"""

from __future__ import annotations

import json
import socket
import struct
import time

VERSION, BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 1, 3, 4, 5, 6
RESPONDER, KEEP_CONN = 1, 1


def record(kind: int, request_id: int, content: bytes) -> bytes:
    return struct.pack(">BBHHBx", VERSION, kind, request_id, len(content), 0) + content


def name_value(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    def length(b: bytes) -> bytes:
        return bytes([len(b)]) if len(b) < 128 else struct.pack(">I", len(b) | 0x80000000)
    return length(n) + length(v) + n + v


class FastCGIClient:
    """One kept FastCGI connection to the pool."""

    def __init__(self, stack) -> None:
        listen = stack.env.get("ENTERCRM_LISTEN", "")
        if listen:
            host, port = listen.rsplit(":", 1)
            self.sock = socket.create_connection((host, int(port)), timeout=5)
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(5)
            self.sock.connect(stack.env["ENTERCRM_SOCKET"])
        self.buffer = b""

    def get(self, path: str, request_id: int = 1) -> tuple[int, dict]:
        params = b"".join(name_value(k, v) for k, v in {
            "REQUEST_METHOD": "GET", "DOCUMENT_URI": path, "QUERY_STRING": "",
            "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1"}.items())
        self.sock.sendall(
            record(BEGIN_REQUEST, request_id, struct.pack(">HB5x", RESPONDER, KEEP_CONN))
            + record(PARAMS, request_id, params) + record(PARAMS, request_id, b"")
            + record(STDIN, request_id, b""))
        out = b""
        while True:
            kind, content = self._read_record()
            if kind == STDOUT:
                out += content
            elif kind == END_REQUEST:
                break
        head, _, body = out.partition(b"\r\n\r\n")
        status = 200
        for line in head.decode().split("\r\n"):
            if line.lower().startswith("status:"):
                status = int(line.split()[1])
        return status, json.loads(body)

    def _read_record(self) -> tuple[int, bytes]:
        while len(self.buffer) < 8:
            self._fill()
        _, kind, _, length, padding = struct.unpack(">BBHHBx", self.buffer[:8])
        while len(self.buffer) < 8 + length + padding:
            self._fill()
        content = self.buffer[8:8 + length]
        self.buffer = self.buffer[8 + length + padding:]
        return kind, content

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the pool closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def pool_threads(stack) -> int:
    return int(stack.env["ENTERCRM_WORKERS"]) * int(stack.env["ENTERCRM_THREADS"])


def test_idle_kept_connections_do_not_hold_pool_threads(stack):
    threads = pool_threads(stack)
    clients = []
    try:
        # Twice as many kept connections as the pool has threads, each answered once and
        # then left idle: every request must be answered within the socket timeout.
        for n in range(2 * threads + 2):
            client = FastCGIClient(stack)
            clients.append(client)
            started = time.monotonic()
            status, body = client.get("/v1/health")
            assert status == 200 and body["status"] == "ok", (n, status, body)
            assert time.monotonic() - started < 2, f"connection {n} waited {time.monotonic() - started:.1f} s"
        # Every idle connection still serves its next request, in any order.
        for n, client in reversed(list(enumerate(clients))):
            status, body = client.get("/v1/health", request_id=2)
            assert status == 200, (n, status, body)
    finally:
        for client in clients:
            client.close()


def test_connections_closed_by_the_client_leave_the_pool_answering(stack):
    threads = pool_threads(stack)
    # Open and close many kept connections, some mid-idle: the pool keeps answering.
    for _ in range(3):
        batch = [FastCGIClient(stack) for _ in range(threads + 4)]
        for client in batch:
            assert client.get("/v1/health")[0] == 200
        for client in batch[::2]:
            client.close()
        for client in batch[1::2]:
            assert client.get("/v1/health", request_id=7)[0] == 200
            client.close()
    client = FastCGIClient(stack)
    try:
        assert client.get("/v1/health")[0] == 200
    finally:
        client.close()
