"""Run a command and measure its wall time and the peak memory of its whole process tree.

Why /proc polling: worker processes and Dask workers are children of the command, and the
resident memory that matters is theirs added up. No extra dependency is needed on Linux.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident kB of a process and all its descendants, and how many processes."""
    total, count, stack = 0, 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    count += 1
        except OSError:
            continue
        stack += _children(current)
    return total, count


def run(command: list[str], env: dict | None = None) -> dict[str, float]:
    """Wall seconds, peak tree RSS in MB, and the most processes seen at once."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})  # fmt: skip
    peak, processes = 0, 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak, processes
        while not done.is_set():
            rss, count = tree_rss(proc.pid)
            peak, processes = max(peak, rss), max(processes, count)
            time.sleep(0.02)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    _, err = proc.communicate()
    done.set()
    thread.join()
    seconds = time.perf_counter() - start
    if proc.returncode not in (0,):
        raise RuntimeError(f"{command[0]} exited {proc.returncode}: {err.decode()[-500:]}")
    return {"seconds": seconds, "peak_mb": peak / 1024, "processes": processes}


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
