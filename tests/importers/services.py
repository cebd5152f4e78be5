"""A loopback HTTP server that answers like Mem0, Zep and Supermemory do in their API docs, with faults on demand.

Every list is cut into pages of at most ``PAGE`` items whatever the client asks (servers cap page sizes), so a few
memories already take several pages. ``faults`` holds answers to give before the real one, per path.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PAGE = 3
KEY = "source-key-123"
USERS = ("alice", "bob", "zoë 日本")


def mem0_memory(user: str, n: int) -> dict[str, Any]:
    return {
        "id": f"m-{user}-{n}", "memory": f"{user} likes thing number {n}", "user_id": user, "agent_id": None,
        "hash": f"h{n}", "metadata": {"mood": "ok", "n": n}, "categories": ["hobbies", "food"] if n % 2 else [],
        "created_at": f"2024-0{1 + n % 9}-0{1 + n % 9}T10:00:00.123456-07:00", "updated_at": "2024-10-01T00:00:00Z",
    }  # fmt: skip


def zep_message(user: str, thread: str, n: int) -> dict[str, Any]:
    return {
        "uuid": f"z-{thread}-{n}", "role": "user", "role_type": "user",
        "content": f"{user} said message {n} in {thread}", "metadata": {"n": n},
        "created_at": f"2024-05-0{1 + n % 9}T08:00:00.123456789Z", "processed": True,
    }  # fmt: skip


def sm_document(user: str, n: int) -> dict[str, Any]:
    return {
        "id": f"s-{user}-{n}", "customId": f"c{n}", "containerTags": [user], "title": f"doc {n}",
        "summary": f"summary {n}", "content": f"{user} wrote document {n}", "metadata": {"kind": "note"},
        "status": "done", "type": "text", "createdAt": 1_700_000_000 + n, "updatedAt": "2024-03-01T00:00:00.000Z",
    }  # fmt: skip


@dataclass
class Services:
    """The data every service serves, the faults to give first, and the requests seen."""

    mem0: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    zep: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # user -> thread -> messages
    supermemory: list[dict[str, Any]] = field(default_factory=list)
    zep_anonymous: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # v2 sessions without a user
    faults: dict[str, list[tuple[int, dict[str, str], str]]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    delay_s: float = 0.0
    pause_after: int | None = None  # requests answered before the next ones wait for ``resume`` to be set
    resume: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def sample(cls, per_user: int = 5) -> Services:
        return cls(
            mem0={u: [mem0_memory(u, n) for n in range(per_user)] for u in USERS},
            zep={u: {f"t-{i}-{u}": [zep_message(u, f"t-{i}-{u}", n) for n in range(per_user)] for i in range(2)}
                 for u in USERS},
            supermemory=[sm_document(u, n) for u in USERS for n in range(per_user)],
        )  # fmt: skip

    def fail_next(self, path: str, status: int, body: str = '{"message": "try later"}', **headers: str) -> None:
        self.faults.setdefault(path, []).append((status, headers, body))


def _page(rows: list[Any], number: int) -> list[Any]:
    return rows[(number - 1) * PAGE : number * PAGE]


def _answer(services: Services, method: str, path: str, query: dict[str, str], body: Any) -> Any:
    if path == "/v1/entities/":
        users = [{"id": f"e{i}", "name": u, "type": "user", "total_memories": len(m)}
                 for i, (u, m) in enumerate(services.mem0.items())]  # fmt: skip
        return [*users, {"id": "x", "name": "helper", "type": "agent"}]
    if path in ("/v1/memories/", "/v2/memories/"):
        user = query.get("user_id") if path.startswith("/v1") else body["filters"]["AND"][0]["user_id"]
        rows, number = services.mem0.get(str(user), []), int(query.get("page", 1))
        more = number * PAGE < len(rows)
        return {"count": len(rows), "next": f"http://x{path}?page={number + 1}" if more else None,
                "previous": None, "results": _page(rows, number)}  # fmt: skip
    if path == "/api/v2/users-ordered":
        users, number = list(services.zep), int(query.get("pageNumber", 1))
        return {"users": [{"user_id": u} for u in _page(users, number)], "total_count": len(users), "row_count": 0}
    if path == "/api/v2/sessions-ordered":
        every = [(u, t) for u, threads in services.zep.items() for t in threads]
        every += [(None, t) for t in services.zep_anonymous]
        page = _page(every, int(query.get("page_number", 1)))
        return {"sessions": [{"session_id": t, "user_id": u} for u, t in page], "total_count": len(every),
                "response_count": len(page)}  # fmt: skip
    if path.startswith("/api/v2/users/") and path.endswith(("/threads", "/sessions")):
        user = unquote(path.split("/")[4])
        key = "thread_id" if path.endswith("/threads") else "session_id"
        return [{key: t, "user_id": user, "created_at": "2024-01-01T00:00:00Z"} for t in services.zep.get(user, {})]
    if path.startswith(("/api/v2/threads/", "/api/v2/sessions/")) and path.endswith("/messages"):
        thread = unquote(path.split("/")[4])
        rows = next((ts[thread] for ts in [*services.zep.values(), services.zep_anonymous] if thread in ts), [])
        page = _page(rows, int(query.get("cursor", 1)))
        return {"messages": page, "row_count": len(page), "total_count": len(rows)}
    if path == "/v3/documents/list":
        tags = body.get("containerTags")
        rows = [d for d in services.supermemory if not tags or d["containerTags"][:1] == tags]
        number, pages = int(body.get("page", 1)), max(1, -(-len(rows) // PAGE))
        listed = [{k: v for k, v in d.items() if k != "content"} for d in _page(rows, number)]  # content: GET one
        return {
            "memories": listed,
            "pagination": {"currentPage": number, "limit": PAGE, "totalItems": len(rows), "totalPages": pages},
        }
    if path.startswith("/v3/documents/"):
        doc_id = unquote(path.rsplit("/", 1)[1])
        return next(d for d in services.supermemory if d["id"] == doc_id)
    return None


class _Handler(BaseHTTPRequestHandler):
    services: Services

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else {}
        self.services.seen.append(f"{method} {split.path}")
        pause_after = self.services.pause_after
        if pause_after is not None and len(self.services.seen) > pause_after:
            self.services.resume.wait(120)
        if self.services.delay_s:
            time.sleep(self.services.delay_s)
        auth = self.headers.get("authorization", "")
        if not auth.endswith(KEY):
            return self._send(401, {}, '{"detail": "Invalid API key"}')
        queue = self.services.faults.get(split.path)
        if queue:
            return self._send(*queue.pop(0))
        answer = _answer(self.services, method, split.path, query, body)
        if answer is None:
            return self._send(404, {}, '{"message": "no such route"}')
        self._send(200, {}, json.dumps(answer))

    def _send(self, status: int, headers: dict[str, str], body: str) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in {"content-type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serve(services: Services) -> Iterator[str]:
    """Serve ``services`` on a free loopback port until the block ends; yields the base URL."""
    handler = type("Handler", (_Handler,), {"services": services})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
