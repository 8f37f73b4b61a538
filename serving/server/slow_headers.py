"""A timeout on slow request headers, which uvicorn (as BentoML runs it) does not have.

uvicorn's h11 protocol arms a keep-alive timer only after a response: a client that opens a
connection, or starts a request, and then sends its headers a byte at a time holds the
connection and its buffers for as long as it likes (slowloris). `time_out_slow_headers`
gives every connection `seconds` from its first byte, or from the end of the previous
answer, to complete a request's headers; past that the connection is closed. Once the
headers are in, the body and the answer are bounded elsewhere (the body limit and BentoML's
traffic timeout).
"""

from __future__ import annotations

from typing import Any


def time_out_slow_headers(seconds: float) -> None:
    """Patch uvicorn's h11 protocol in this worker (idempotent) with the header timeout."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    if getattr(H11Protocol, "_retain_header_timeout", None) is not None:
        H11Protocol._retain_header_timeout = seconds
        return
    made, handle = H11Protocol.connection_made, H11Protocol.handle_events
    complete, lost = H11Protocol.on_response_complete, H11Protocol.connection_lost

    def arm(self: Any) -> None:
        disarm(self)
        self._retain_header_timer = self.loop.call_later(
            H11Protocol._retain_header_timeout, expire, self
        )

    def disarm(self: Any) -> None:
        timer = getattr(self, "_retain_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._retain_header_timer = None

    def expire(self: Any) -> None:
        self._retain_header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()  # headers still incomplete: the client is too slow

    def connection_made(self, transport) -> None:
        made(self, transport)
        arm(self)

    def handle_events(self) -> None:
        handle(self)
        if self.conn.their_state is not h11.IDLE:  # a request's headers are in
            disarm(self)

    def on_response_complete(self) -> None:
        complete(self)
        if not self.transport.is_closing():
            arm(self)  # the next request's headers get the same time

    def connection_lost(self, exc) -> None:
        disarm(self)
        lost(self, exc)

    H11Protocol._retain_header_timeout = seconds
    H11Protocol.connection_made = connection_made
    H11Protocol.handle_events = handle_events
    H11Protocol.on_response_complete = on_response_complete
    H11Protocol.connection_lost = connection_lost
