"""Benchmark: loading a large configuration (issue 12, the ``validate`` row).

Usage: ``python benchmarks/bench_load.py [N ...]`` (default 1000 5000 10000). For each N it writes
the configuration of :mod:`gen_config` into a temporary directory and measures, as separate runs:

* ``parse``: the YAML step alone (``reconciler.config._yaml.parse_yaml`` of the file's text),
  median of 3, in-process;
* ``load_config``: the whole configuration layer with the real kinds registry, median of 3,
  in-process;
* ``validate``: ``reconciler validate DIR`` as a separate process (interpreter start and imports
  included), median of 3 wall seconds, and the peak RSS of the last run (MiB, from
  ``resource.getrusage(RUSAGE_CHILDREN)``).

``--profile`` prints the top 25 functions by cumulative time of one ``load_config`` + rules run
at the largest N (cProfile), to see where the time goes. Results are recorded in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import cProfile
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_config import write_config  # noqa: E402

from reconciler.config import load_config  # noqa: E402
from reconciler.config._yaml import parse_yaml  # noqa: E402


def _median(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _validate(path: Path) -> tuple[float, float]:
    """(median wall seconds, peak RSS MiB) of ``reconciler validate path`` in a subprocess."""
    exe = Path(sys.executable).with_name("reconciler")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        proc = subprocess.run([str(exe), "validate", str(path)], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"validate failed:\n{proc.stdout}\n{proc.stderr}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return statistics.median(times), rss


def main(sizes: list[int], profile: bool) -> None:
    from reconciler.kinds import REGISTRY

    print("| N | file | parse (median of 3) | load_config (median of 3) | validate process (median of 3) | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "cfg"
            main_file = write_config(n, cfg)
            text = main_file.read_text()
            parse = _median(lambda t=text, f=str(main_file): parse_yaml(t, f))  # type: ignore[misc]
            load = _median(lambda c=cfg: load_config(c, kinds=REGISTRY))  # type: ignore[misc]
            wall, rss = _validate(cfg)
            size = len(text.encode()) / 1e6
            print(f"| {n} | {size:.1f} MB | {parse:.2f} s | {load:.2f} s | {wall:.2f} s | {rss:.0f} MiB |")
            if profile and n == max(sizes):
                _profile(cfg)


def _profile(cfg: Path) -> None:
    from reconciler.wiring import Workspace

    prof = cProfile.Profile()
    prof.enable()
    ws = Workspace(cfg)  # load_config, then the rules
    ws.close_state()
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main([int(a) for a in args] or [1000, 5000, 10000], "--profile" in sys.argv)
