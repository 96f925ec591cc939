"""rooms.asgiref_adapter reads a private thread-local of asgiref: fail loudly if upstream changes it."""

import asyncio

from asgiref.sync import SyncToAsync, sync_to_async

from rooms.asgiref_adapter import server_event_loop


def test_asgiref_still_records_the_calling_loop_in_its_thread_local():
    assert hasattr(SyncToAsync, "threadlocal"), "asgiref no longer has SyncToAsync.threadlocal: rewrite rooms.asgiref_adapter"

    async def main():
        loop = asyncio.get_running_loop()
        seen = await sync_to_async(server_event_loop, thread_sensitive=False)()
        return seen is loop

    assert asyncio.run(main()), "sync_to_async no longer records main_event_loop: rooms.events would block the database thread"


def test_outside_sync_to_async_there_is_no_server_loop():
    assert server_event_loop() is None
