"""A TCP proxy in front of a server, for the tests and the bench: to cut connections, or to terminate TLS."""

import asyncio
import ssl
import threading

from devstack.server import free_port


class TcpProxy:
    """A TCP proxy on `host` in front of `target`, on an event loop of its own
    thread (so code that blocks the test's loop, like creating the schema,
    still gets through): `cut()` closes every connection and stops listening
    (new connections are refused); `restore()` listens again on the same port.

    Args:
        target_host: Where to forward to.
        target_port: Where to forward to.
        tls: Terminate TLS with this context (its certificate, and the client
            certificates it requires), forwarding plain TCP.
        host: The address it listens on: another than 127.0.0.1 to be reached from
            another network namespace (tests/test_hosts.py).
    """

    def __init__(
        self, target_host: str, target_port: int, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.target = (target_host, target_port)
        self.tls = tls
        self.host = host
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _call(self, coro) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    def restore(self) -> None:
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def close(self) -> None:
        if self._server is not None:
            self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port, reuse_address=True, ssl=self.tls)

    async def _cut(self) -> None:
        assert self._server is not None
        self._server.close()
        self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError, asyncio.CancelledError):
                pass
            finally:
                sink.transport.abort()
                self._writers.discard(sink)

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
