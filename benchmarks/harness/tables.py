"""The markdown tables: one per scenario."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from .clients import Client
from .measure import Run


@dataclass
class Row:
    client: Client
    runs: list[Run] = field(default_factory=list)

    @property
    def good(self) -> list[Run]:
        return [r for r in self.runs if r.ok]

    def median_wall(self) -> float | None:
        good = self.good
        return statistics.median(r.wall_s for r in good) if good else None

    def peak_rss_mb(self) -> float | None:
        values = [r.rss_kb for r in self.good if r.rss_kb is not None]
        return max(values) / 1024 if values else None

    def median_cpu_s(self) -> float | None:
        values = [r.cpu_s for r in self.good if r.cpu_s is not None]
        return statistics.median(values) if values else None

    def median_server_cpu_s(self) -> float | None:
        values = [r.server_cpu_s for r in self.good if r.server_cpu_s is not None]
        return statistics.median(values) if values else None


def fmt_num(value: float | None, spec: str, dash: str = "—") -> str:
    return dash if value is None else format(value, spec)


def _table(head: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return lines


def throughput_table(
    rows: Sequence[Row], count: int, ideal_s: float | None, mib: float | None
) -> str:
    walls = {id(r): r.median_wall() for r in rows}
    best = min((w for w in walls.values() if w), default=None)
    reference = cpu_per_request(next((r for r in rows if r.client.is_reference), None), count)
    head = ["client", "runs ok", "median wall s", "req/s"]
    if mib is not None:
        head.append("MiB/s")
    if ideal_s is not None:
        head.append(f"overhead over ideal {ideal_s:.1f} s")
    head += [
        "CPU µs/req",
        "CPU/req ÷ bare pool",
        "server CPU µs/req",
        "peak RSS MB",
        "ratio to best (req/s)",
        "exit codes",
        "requests seen by server",
    ]
    body: list[list[str]] = []
    for row in rows:
        wall = walls[id(row)]
        rps = count / wall if wall else None
        cells = [
            row.client.name + (f" ({row.client.note})" if row.client.note else ""),
            f"{len(row.good)}/{len(row.runs)}",
            fmt_num(wall, ".3f", "invalid"),
            fmt_num(rps, ",.0f"),
        ]
        if mib is not None:
            cells.append(fmt_num(mib / wall if wall else None, ",.0f"))
        if ideal_s is not None:
            cells.append(fmt_num(wall - ideal_s if wall else None, "+.3f"))
        served = sorted({r.served for r in row.runs if r.served is not None})
        cpu = cpu_per_request(row, count)
        server_cpu = row.median_server_cpu_s()
        cells += [
            fmt_num(cpu * 1e6 if cpu else None, ",.1f"),
            fmt_num(cpu / reference if cpu and reference else None, ".2f"),
            fmt_num(server_cpu / count * 1e6 if server_cpu is not None else None, ",.1f"),
            fmt_num(row.peak_rss_mb(), ".1f"),
            fmt_num(best / wall if wall and best else None, ".2f"),
            ",".join(str(r.rc) for r in row.runs),
            ",".join(f"{s:,}" for s in served) or "—",
        ]
        body.append(cells)
    problems = [
        f"- {row.client.name}, run {i + 1}: exit {run.rc}: {run.problem or 'failed'}"
        for row in rows
        for i, run in enumerate(row.runs)
        if not run.ok
    ]
    return "\n".join(_table(head, body) + (["", *problems] if problems else []))


def cpu_per_request(row: Row | None, count: int) -> float | None:
    """Median CPU seconds per URL of a row's valid runs."""
    cpu = row.median_cpu_s() if row is not None else None
    return cpu / count if cpu is not None and count else None


def projection(rows: Sequence[Row], count: int, cores: Sequence[int] = (2, 4, 8)) -> str:
    """req/s on k cores if CPU per request were the only limit: k / (CPU s per request)."""
    parts = []
    for row in rows:
        cpu = cpu_per_request(row, count)
        if cpu:
            parts.append(f"{row.client.name}: " + " / ".join(f"{k / cpu:,.0f}" for k in cores))
    if not parts:
        return ""
    return (
        f"Projected on {'/'.join(map(str, cores))} cores (k ÷ CPU per request, req/s; an upper "
        "bound that ignores the server and assumes the client's work spreads over k cores at "
        "the same CPU per request): " + "; ".join(parts) + "."
    )


def startup_table(rows: Sequence[Row]) -> str:
    head = ["command", "runs ok", "median ms", "min ms", "median CPU ms", "peak RSS MB"]
    head.append("exit codes")
    body: list[list[str]] = []
    for row in rows:
        good = row.good
        med = statistics.median(r.wall_s for r in good) * 1000 if good else None
        low = min(r.wall_s for r in good) * 1000 if good else None
        cpu = row.median_cpu_s()
        body.append(
            [
                f"`{row.client.name}`",
                f"{len(good)}/{len(row.runs)}",
                fmt_num(med, ".0f", "invalid"),
                fmt_num(low, ".0f"),
                fmt_num(cpu * 1000 if cpu is not None else None, ".0f"),
                fmt_num(row.peak_rss_mb(), ".1f"),
                ",".join(sorted({str(r.rc) for r in row.runs})),
            ]
        )
    return "\n".join(_table(head, body))
