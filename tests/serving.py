"""Real OpenAI-compatible serving for tests: `transformers serve` on loopback, and a fault-injecting proxy.

Plain helpers (no fixtures) so any test package or benchmark can use them:

    with serve_model(tiny_model_dir) as base_url:          # http://127.0.0.1:PORT/v1
        with FaultProxy(base_url, every(http_429=3)) as proxy:
            ...  # point the client at proxy.base_url; proxy.served holds what reached the server
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

Schedule = Callable[[int], str | None]
"""Maps the n-th POST the proxy receives (1-based) to a fault ("429", "500", "drop", "stall") or None."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_model(model_dir: str | Path, *, threads: int = 1, startup_timeout: float = 600.0) -> Iterator[str]:
    """Runs `transformers serve MODEL_DIR --device cpu` offline on a free loopback port; yields its /v1 URL.

    One torch thread by default: a tiny model gains nothing from more, and on a shared 2-core machine
    thread contention made the server ten times slower.
    """
    with serve_process(model_dir, threads=threads, startup_timeout=startup_timeout) as (base_url, _):
        yield base_url


@contextlib.contextmanager
def serve_process(
    model_dir: str | Path, *, threads: int = 1, startup_timeout: float = 600.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`serve_model`, also yielding the server process, for tests that kill a server mid-run."""
    port = free_port()
    executable = Path(sys.executable).with_name("transformers")
    command = [
        str(executable),
        "serve",
        str(model_dir),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--device",
        "cpu",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads)}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_healthy(f"http://127.0.0.1:{port}/health", server, log, startup_timeout)
            yield f"http://127.0.0.1:{port}/v1", server
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"transformers serve exited with {server.returncode}:\n{log.read()[-3000:]!r}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(f"transformers serve did not answer {url} within {timeout:.0f} s")


def every(*, http_429: int = 0, http_500: int = 0, drop: int = 0, stall: int = 0) -> Schedule:
    """A deterministic schedule: every k-th POST gets that fault (the first matching rule wins)."""
    rules = [("429", http_429), ("500", http_500), ("drop", drop), ("stall", stall)]

    def schedule(number: int) -> str | None:
        return next((fault for fault, k in rules if k and number % k == 0), None)

    return schedule


class FaultProxy:
    """An HTTP/1.1 proxy on loopback that injects faults before forwarding, and records what it forwarded.

    Faults never reach the server: a status code ("429", "500", ...) is answered at once, "drop" closes
    the connection without an answer, "stall" holds the request `stall_seconds` and then closes. So
    `served` (the JSON bodies of POSTs the server answered with 200, in order) is exactly the work the
    server did. `latency` delays every forwarded POST, to stretch a run out.
    """

    def __init__(
        self,
        upstream: str,
        schedule: Schedule | None = None,
        *,
        stall_seconds: float = 5.0,
        latency: float = 0.0,
    ) -> None:
        url = httpx.URL(upstream)
        self._origin = f"{url.scheme}://{url.host}:{url.port}"
        self._path = url.path.rstrip("/")
        self._schedule = schedule or (lambda number: None)
        self._stall = stall_seconds
        self._latency = latency
        self._lock = threading.Lock()
        self.posts = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults: Counter[str] = Counter()
        self.served: list[dict[str, Any]] = []
        self.authorizations: set[str] = set()
        self._loop = asyncio.new_event_loop()
        self._handlers: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self._path}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def served_counts(self) -> Counter[str]:
        """How often the server answered each distinct request body."""
        with self._lock:
            return Counter(json.dumps(body, sort_keys=True) for body in self.served)

    async def _start(self) -> asyncio.Server:
        self._client = httpx.AsyncClient(base_url=self._origin, timeout=120, trust_env=False)
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _stop(self) -> None:
        self._server.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._client.aclose()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while await self._exchange(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Handles one request on a kept-alive connection; False closes the connection."""
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, target, _ = head[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in head[1:] if ":" in h)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if method != "POST":
            return await self._answer(writer, *await self._forward(method, target, body))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._post(writer, target, headers, body)
        finally:
            self.in_flight -= 1

    async def _post(
        self, writer: asyncio.StreamWriter, target: str, headers: dict[str, str], body: bytes
    ) -> bool:
        fault = self._fault(headers)
        if fault in ("drop", "stall"):
            await asyncio.sleep(self._stall if fault == "stall" else 0)
            return False
        if fault is not None:
            return await self._answer(writer, int(fault), json.dumps({"error": f"injected {fault}"}).encode())
        await asyncio.sleep(self._latency)
        return await self._answer(writer, *await self._forward("POST", target, body))

    async def _answer(self, writer: asyncio.StreamWriter, status: int, payload: bytes) -> bool:
        extra = "Retry-After: 0\r\n" if status == 429 else ""
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            f"{extra}\r\n".encode()
            + payload
        )
        await writer.drain()
        return True

    def _fault(self, headers: dict[str, str]) -> str | None:
        with self._lock:
            self.posts += 1
            if "authorization" in headers:
                self.authorizations.add(headers["authorization"])
            fault = self._schedule(self.posts)
            if fault is not None:
                self.faults[fault] += 1
            return fault

    async def _forward(self, method: str, target: str, body: bytes) -> tuple[int, bytes]:
        response = await self._client.request(
            method, target, content=body, headers={"content-type": "application/json"}
        )
        if method == "POST" and response.status_code == 200:
            with self._lock:
                self.served.append(json.loads(body))
        return response.status_code, response.content


def cache_rows(cache: str | Path) -> int:
    """Completions in a limkit SQLite cache that another process may be writing (0 before it exists)."""
    import sqlite3

    try:
        with sqlite3.connect(cache, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def kill_when(
    process: subprocess.Popen[Any], ready: Callable[[], bool], proxy: FaultProxy, timeout: float = 180
) -> None:
    """SIGKILLs `process` once `ready()` holds (or it timed out), then waits until the proxy is idle."""
    import signal

    deadline = time.monotonic() + timeout
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    while proxy.in_flight:
        time.sleep(0.01)


class RejectingProxy(FaultProxy):
    """Forwards GETs to the real server but answers every POST with `status` (401 or 403) and a body that
    quotes the key back, as hosted APIs do ("Incorrect API key provided: sk-..."): a client that shows
    error bodies as they are leaks the key into its error messages."""

    def __init__(self, upstream: str, status: int = 401) -> None:
        super().__init__(upstream)
        self.status = status

    async def _post(
        self, writer: asyncio.StreamWriter, target: str, headers: dict[str, str], body: bytes
    ) -> bool:
        self._fault(headers)
        key = headers.get("authorization", "").removeprefix("Bearer ")
        error = {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}
        return await self._answer(writer, self.status, json.dumps({"error": error}).encode())
