"""Who holds an outbox lease, and whether that holder is gone (a crashed process on this host).

A holder is `host/pid-namespace:pid:start`: the start time tells a live process from a later one that
reused its pid, the namespace a process in another container that shares the host name. A holder
elsewhere is never declared gone: its lease simply runs out.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from functools import cache


def _start_ticks(pid: int) -> str:
    """Return the process start time in clock ticks since boot (Linux), or '' where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return fields[19]  # field 22 of stat(5), counted after the command name
    except (OSError, IndexError):
        return ""


@cache
def machine() -> str:
    """Return where pids mean the same thing: the host name and the pid namespace."""
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}/{namespace}"


def holder_id() -> str:
    """Return this process's lease-holder id."""
    pid = os.getpid()
    return f"{machine()}:{pid}:{_start_ticks(pid)}"


def _alive(pid: int, start: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    return not start or _start_ticks(pid) in ("", start)


def holder_gone(holder: str, host: str | None = None, alive: Callable[[int, str], bool] = _alive) -> bool:
    """Tell whether `holder` is a process on this host that no longer runs."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    name, pid, start = parts
    if name != (host or machine()):
        return False
    return not alive(int(pid), start)
