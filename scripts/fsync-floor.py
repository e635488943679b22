#!/usr/bin/env python3
"""The storage floor of a durable insert: the latency of appending a few pages to a file
and syncing it (what one SQLite WAL commit with synchronous=FULL costs the disk), so that
insert latency figures can be split into the disk's part and ours.

Usage: scripts/fsync-floor.py [DIR] [N] [PAGES]   (defaults: ., 2000, 3)
Prints one JSON line per sync call (fsync, fdatasync): p50 / p99 / max in ms and the count
over 10 ms.
"""
import json
import os
import sys
import time

d = sys.argv[1] if len(sys.argv) > 1 else "."
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
pages = int(sys.argv[3]) if len(sys.argv) > 3 else 3
path = os.path.join(d, "fsync-floor.tmp")
block = os.urandom(4096 * pages)
try:
    for name, sync in (("fsync", os.fsync), ("fdatasync", os.fdatasync)):
        fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)
        lat = []
        for i in range(n):
            t = time.perf_counter()
            os.write(fd, block)
            sync(fd)
            lat.append((time.perf_counter() - t) * 1e3)
            if (i + 1) % 1000 == 0:
                os.lseek(fd, 0, os.SEEK_SET)  # like a WAL restarting from its start
        os.close(fd)
        lat.sort()
        pct = lambda p: lat[int((len(lat) - 1) * p)]
        print(json.dumps({
            "what": name, "dir": os.path.abspath(d), "n": n, "bytes": len(block),
            "p50_ms": round(pct(0.5), 3), "p99_ms": round(pct(0.99), 3),
            "max_ms": round(lat[-1], 2), "over_10ms": sum(1 for x in lat if x > 10.0),
            "load": os.getloadavg()[0],
        }))
finally:
    if os.path.exists(path):
        os.remove(path)
