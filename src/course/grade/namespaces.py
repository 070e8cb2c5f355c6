"""Linux namespaces through ctypes (Python 3.11 has no ``os.unshare``): no network, own process tree.

``isolate()`` moves the calling process into a new user namespace (which needs no privilege), a new
network namespace (only a loopback interface, so learner code reaches no other machine), and a new
PID namespace. The process's next child becomes PID 1 of that namespace: processes the learner's code
starts cannot see or signal anything outside it, and when that PID 1 ends, the kernel kills every
process left inside, even ones that started their own session to escape a process-group kill.
This is what ``unshare --user --map-current-user --net --pid --fork`` does, for about a millisecond.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys

CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWPID = 0x10000000, 0x40000000, 0x20000000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1

_libc = ctypes.CDLL(None, use_errno=True)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def isolate() -> None:
    """Enter new user, network and PID namespaces. ``OSError`` if the kernel or a security policy
    (a container's seccomp profile, AppArmor) refuses; the caller then does without."""
    if not sys.platform.startswith("linux"):
        raise OSError(0, "namespaces are a Linux feature")
    uid, gid = os.geteuid(), os.getegid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")
    # Keep the same user id inside: files the process creates are then owned as before.
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _loopback_up()


def _loopback_up() -> None:
    """A new network namespace's loopback interface starts down; tests may use 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock.fileno(), _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))
