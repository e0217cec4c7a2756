"""Benchmark rows, the printed table, machine facts and the merge into bench/results.json."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

SCHEMA = 1
COUNT_UNITS = frozenset({"429s"})  # whole numbers: shown without decimals
PACKAGES = ("SQLAlchemy", "aiosqlite", "Markdown", "PyYAML", "pylatexenc")


@dataclass(slots=True)
class Row:
    """One measured figure. `target` gives pass/fail, `baseline` a ratio.

    Lower is better unless `higher_is_better` (throughputs, % of a ceiling): then the target is
    a floor (`≥`) instead of a cap (`≤`).
    """

    key: str
    value: float
    unit: str
    target: float | None = None
    baseline: float | None = None
    samples: list[float] = field(default_factory=list)
    note: str = ""
    record: bool = True  # False: shown in the table only, never written to results.json
    extra: dict[str, Any] = field(default_factory=dict)  # written to runs[key] as is
    higher_is_better: bool = False

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    @property
    def ratio(self) -> tuple[float, str] | None:
        """`value / baseline` when there is a baseline, else `value / target`."""
        if self.baseline:
            return self.value / self.baseline, "baseline"
        if self.target:
            return self.value / self.target, "target"
        return None


@dataclass(slots=True)
class CpuMeter:
    """Measure how many CPUs *other* processes kept busy while a benchmark ran (Linux only).

    The figures are wall-clock times, so a busy neighbour inflates them; this says by how much
    the machine was shared. Steal time (a hypervisor's other guests) counts as busy.
    """

    wall: float
    busy: float | None
    own: float

    @classmethod
    def start(cls) -> CpuMeter:
        return cls(time.monotonic(), _busy_cpu_seconds(), _own_cpu_seconds())

    def others(self) -> float | None:
        """Average number of CPUs used by other processes since `start`, or None if unknown."""
        busy = _busy_cpu_seconds()
        elapsed = time.monotonic() - self.wall
        if busy is None or self.busy is None or elapsed <= 0:
            return None
        return max(0.0, (busy - self.busy - (_own_cpu_seconds() - self.own)) / elapsed)


def _busy_cpu_seconds() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice, already in user/nice]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def machine_info() -> dict[str, Any]:
    """Describe the machine and the library versions the figures were taken with."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "sqlite": sqlite3.sqlite_version,
        "load_average_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    memory = _proc_field("/proc/meminfo", "MemTotal")
    if memory:
        info["memory_gib"] = round(int(memory.split()[0]) / 2**20, 1)
    info["calibration_ms"] = round(calibration_ms(), 2)
    info["packages"] = {name: _version(name) for name in PACKAGES}
    return info


def calibration_ms() -> float:
    """Best of 5 of a fixed pure-Python loop: compares machines, and one VM from run to run."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        sum(range(1_000_000))
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _proc_field(path: str, name: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        pass
    return None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def format_value(value: float, unit: str) -> str:
    """Three significant-ish figures: `7.42 s`, `38.1 ms`, `912 µs/post`; counts as `3 429s`."""
    if unit in COUNT_UNITS and float(value).is_integer():
        text = f"{int(value):,}"
    elif value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}"


def render_table(rows: list[Row]) -> str:
    """Return the result table as aligned plain text."""
    header = ("metric", "value", "target", "baseline", "ratio", "pass/fail")
    lines = [header]
    for row in rows:
        ratio = row.ratio
        lines.append(
            (
                row.key,
                format_value(row.value, row.unit),
                f"{'≥' if row.higher_is_better else '≤'} {format_value(row.target, row.unit)}"
                if row.target is not None
                else "",
                format_value(row.baseline, row.unit) if row.baseline is not None else "",
                f"{ratio[0]:.2f}× {ratio[1]}" if ratio else "",
                {None: "", True: "PASS", False: "FAIL"}[row.passed],
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(cells).rstrip())
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    notes = [f"  {row.key}: {row.note}" for row in rows if row.note]
    return "\n".join(out + (["", "notes:", *notes] if notes else []))


def load_results(path: Path) -> dict[str, Any]:
    """Read results.json (`{}` when absent); refuse a file we would otherwise clobber."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SystemExit(f"{path} is not valid JSON ({exc}); fix or remove it") from None
    if not isinstance(data, dict):
        raise SystemExit(f"{path} does not hold a JSON object; fix or remove it")
    return data


def merge_results(
    path: Path, machine: dict[str, Any], rows: list[Row], context: dict[str, Any], *, quick: bool = False
) -> None:
    """Add `rows` to the JSON at `path`, keeping every key other benchmarks wrote.

    Quick (smoke) runs go under `data["quick"]`, so they never replace a full-size figure.
    """
    data = load_results(path)
    data["schema"] = SCHEMA
    data["machine"] = machine
    section = data.setdefault("quick", {}) if quick else data
    results = section.setdefault("results", {})
    runs = section.setdefault("runs", {})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for row in rows:
        if not row.record:
            continue
        results[row.key] = round(row.value, 6)
        runs[row.key] = {
            "at": now,
            "unit": row.unit,
            "target": row.target,
            "baseline": row.baseline,
            "passed": row.passed,
            "better": "higher" if row.higher_is_better else "lower",
            "samples": [round(s, 6) for s in row.samples],
            "cpu_model": machine["cpu_model"],
            "cpu_usable": machine["cpu_usable"],
            **context,
            **row.extra,
        }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    os.replace(temporary, path)
