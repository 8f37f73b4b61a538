"""Turn Nagle's algorithm off on the server's listening sockets.

BentoML hands each uvicorn worker a pre-bound socket; uvicorn then leaves TCP_NODELAY off
on the connections it accepts (an open uvicorn bug: Kludex/uvicorn#3149), so every
keep-alive response after the first waits ~40 ms for the client's delayed ACK. On Linux an
accepted socket inherits TCP_NODELAY from its listener, so setting it there, once, in each
worker fixes every connection.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def set_nodelay_on_listeners() -> int:
    """Set TCP_NODELAY on every listening TCP socket this process holds; return how many."""
    done = 0
    try:
        fds = [int(f) for f in os.listdir("/proc/self/fd")]
    except OSError:  # not Linux: nothing to do, the bug does not show there
        return 0
    for fd in fds:
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            s = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if (
                s.family in (socket.AF_INET, socket.AF_INET6)
                and s.type == socket.SOCK_STREAM
                and s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            ):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done += 1
        except OSError:
            pass
        finally:
            s.close()
    log.info("TCP_NODELAY set on %d listening sockets", done)
    return done
