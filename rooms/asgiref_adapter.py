"""The only asgiref internal the product reads, fenced here (tests/rooms/test_asgiref_adapter.py
fails loudly when upstream changes it).

`sync_to_async` records, in a private thread-local of `SyncToAsync`, the event loop that called
into the current thread (`main_event_loop`, with the pid that set it). `rooms.events` uses it to
hand a broadcast made in a consumer's database thread back to the server's loop without waiting;
asgiref has no public API for "the loop that called me".
"""

import asyncio
import os

from asgiref.sync import SyncToAsync


def server_event_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop that called this thread through `sync_to_async`, if any."""
    local = SyncToAsync.threadlocal
    if os.getpid() != getattr(local, "main_event_loop_pid", None):
        return None
    loop = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None
