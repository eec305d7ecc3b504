"""The benchmark harness behind ``benchmarks/bench.py`` (standard library only).

Modules, in the order a run uses them:

- ``procs``: every process we start is stopped on exit, Ctrl-C and SIGTERM included
- ``servers``: the local nginx, or the aiohttp fallback (``fallback_server.py``, a script)
- ``clients``: URL lists and the command line of each client under test
- ``bare_pool``: the reference client, a bare aiohttp pool (a script, run by fetchall's Python)
- ``measure``: one timed run: wall time, peak RSS, CPU of the client's process tree
- ``tables``: the markdown tables
- ``scenarios``: throughput, latency, memory, startup, bulk
- ``cli``: arguments, setup, the report's header, exit status
"""
