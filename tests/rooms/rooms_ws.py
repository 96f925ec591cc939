"""Helpers for WebSocket tests against the full ASGI application (real origin check, real session auth)."""

import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application


@sync_to_async
def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def connect(room_id: int, user=None, *, origin: str = "http://testserver", after: int | None = None):
    """Open a communicator; returns (communicator, connected, close_code)."""
    headers = [(b"origin", origin.encode())]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await session_cookie(user)}".encode()))
    path = f"/ws/rooms/{room_id}/" + (f"?after={after}" if after is not None else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def receive(communicator, timeout: float = 3) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(communicator, frame_type: str, timeout: float = 3) -> dict:
    """Skip frames (presence, typing…) until one of `frame_type` arrives."""
    while True:
        frame = await receive(communicator, timeout)
        if frame["type"] == frame_type:
            return frame


async def joined(room_id: int, user, **kwargs):
    """Connect and consume the opening frames up to `resumed`."""
    communicator, connected, code = await connect(room_id, user, **kwargs)
    assert connected, code
    opening = []
    while True:
        frame = await receive(communicator)
        opening.append(frame)
        if frame["type"] == "resumed":
            return communicator, opening


async def send(communicator, frame) -> None:
    await communicator.send_to(text_data=json.dumps(frame))


async def drain(communicator, timeout: float = 0.3) -> list[dict]:
    """Every frame that arrives until `timeout` passes in silence (without cancelling the consumer)."""
    frames = []
    while not await communicator.receive_nothing(timeout=timeout):
        frames.append(await receive(communicator))
    return frames


def messages_in(frames: list[dict]) -> list[int]:
    """The message ids a client saw, across live and resume frames, in order."""
    ids = []
    for frame in frames:
        if frame["type"] == "message":
            ids.append(frame["message"]["id"])
        elif frame["type"] in {"resume", "history"}:
            ids.extend(m["id"] for m in frame["messages"])
    return ids
