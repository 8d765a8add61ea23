"""The one way a child that runs learner code reports to the grader: an authenticated socket.

The parent makes a socket pair, sends a random key through it and lets the child inherit its end; the
descriptor number travels in GRADSCHOOL_CHANNEL_FD, which the grader's code in the child removes from the
environment (and reads the key) before any learner module is imported. Every message is one line: the
HMAC of its JSON body under that key, a space, the body. No file or path is involved, so learner code
has nothing to overwrite; whatever it writes into the socket does not verify, and the parent then rejects
the whole report instead of trusting part of it. The parent reads at most MAX_BYTES and never raises on
what it reads.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import threading

FD_VAR = "GRADSCHOOL_CHANNEL_FD"
KEY_BYTES = 32
MAX_BYTES = 16 * 1024 ** 2
COLLECT_ERROR = "(collecting the test file)"  # the test name under which a test file that did not import reports


class Tampered(Exception):
    pass


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).hexdigest().encode()


class Listener:
    """Parent side. `env` and `fds` go to `sandbox.run`; after the run, `messages()`."""

    def __init__(self):
        self._ours, self._theirs = socket.socketpair()
        self._key = secrets.token_bytes(KEY_BYTES)
        self._ours.sendall(self._key)
        self.env = {FD_VAR: str(self._theirs.fileno())}
        self.fds = (self._theirs.fileno(),)
        self._data, self._overflow = bytearray(), False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            try:
                chunk = self._ours.recv(1 << 16)
            except OSError:
                return
            if not chunk:
                return
            if len(self._data) + len(chunk) > MAX_BYTES:
                self._overflow = True
                continue  # keep draining so the child never blocks, but stop storing
            self._data += chunk

    def messages(self) -> list[dict]:
        """Every message of the finished run, in order. Raises Tampered for anything that does not verify."""
        self._theirs.close()  # the child's copies are gone with the child, so the reader sees the end
        self._reader.join(timeout=5)
        self._ours.close()
        if self._reader.is_alive():
            raise Tampered("the channel was kept open after the run")
        if self._overflow:
            raise Tampered(f"more than {MAX_BYTES} bytes arrived")
        found = []
        for line in bytes(self._data).splitlines():
            mac, _, body = line.partition(b" ")
            if not hmac.compare_digest(mac, _mac(self._key, body)):
                raise Tampered("a message did not come from the grader's code")
            try:
                message = json.loads(body)
            except ValueError:
                raise Tampered("a message is not JSON") from None
            if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
                raise Tampered("a message has no kind")
            found.append(message)
        return found

    def close(self):
        for sock in (self._theirs, self._ours):
            sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- child side

_link: tuple[socket.socket, bytes] | None = None


def connect() -> bool:
    """Take the channel named in the environment (and remove the name). False when there is none."""
    global _link
    fd = os.environ.pop(FD_VAR, None)
    if fd is None or _link is not None:
        return _link is not None
    sock = socket.socket(fileno=int(fd))
    key = b""
    while len(key) < KEY_BYTES:
        chunk = sock.recv(KEY_BYTES - len(key))
        if not chunk:
            raise RuntimeError("the grader's channel closed before it sent its key")
        key += chunk
    _link = (sock, key)
    return True


def send(kind: str, **fields) -> None:
    """Send one message to the grader (nothing when the process was not started with a channel)."""
    if _link is None:
        return
    sock, key = _link
    body = json.dumps({"kind": kind, **fields}, default=str).encode()
    sock.sendall(_mac(key, body) + b" " + body + b"\n")
