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

``--hostile`` runs ``reconciler validate`` on each hostile or broken input of issue 12 (an alias
bomb, a 50 MB file, 5,000-deep nesting, an empty file, a symlink loop in a directory) and on a
directory beside a foreign ``docker-compose.yaml``, as separate processes, printing wall seconds,
peak RSS (MiB), the exit code and the first line of output.

``--profile`` prints the top 25 functions by cumulative time of one ``load_config`` + rules run
at the largest N (cProfile), to see where the time goes. Results are recorded in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import cProfile
import os
import pstats
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


def _run_validate(path: Path) -> tuple[float, float, int, str]:
    """``reconciler validate path`` in a subprocess: (wall s, peak RSS MiB, exit code, output)."""
    exe = Path(sys.executable).with_name("reconciler")
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([str(exe), "validate", str(path)], stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, proc.returncode, out.read()


def _validate(path: Path) -> tuple[float, float]:
    """(median wall seconds, peak RSS MiB of the last run) of ``reconciler validate path``."""
    times = []
    for _ in range(3):
        wall, rss, code, output = _run_validate(path)
        times.append(wall)
        if code != 0:
            raise SystemExit(f"validate failed:\n{output}")
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


def _hostile_inputs(tmp: Path) -> dict[str, Path]:
    """name -> path of each hostile input, written under ``tmp``."""
    out: dict[str, Path] = {}
    bomb = ["version: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]" for i in range(1, 10)]
    out["alias bomb (9 levels of 9)"] = tmp / "bomb.yaml"
    out["alias bomb (9 levels of 9)"].write_text("\n".join(bomb) + "\n")
    out["50 MB file"] = tmp / "big.yaml"
    with out["50 MB file"].open("w") as fh:
        fh.write("version: 1\nfolders:\n")
        line = "  f{:08d}: {{connection: author, title: a folder with a long title}}\n"
        for i in range(50_000_000 // len(line.format(0))):
            fh.write(line.format(i))
    out["5,000-deep nesting"] = tmp / "deep.yaml"
    out["5,000-deep nesting"].write_text("version: 1\nfolders: " + "[" * 5000 + "]" * 5000 + "\n")
    out["empty file"] = tmp / "empty.yaml"
    out["empty file"].write_text("")
    loop_dir = tmp / "loop"
    loop_dir.mkdir()
    (loop_dir / "main.yaml").write_text("version: 1\n")
    (loop_dir / "loop.yaml").symlink_to(loop_dir / "loop.yaml")
    out["symlink loop in a directory"] = loop_dir
    compose = tmp / "compose"
    compose.mkdir()
    write_config(1000, compose)
    (compose / "docker-compose.yaml").write_text("version: '3.8'\nservices:\n  web: {image: nginx}\n")
    out["docker-compose.yaml beside 1,000 resources"] = compose
    return out


def hostile() -> None:
    print("| input | wall | peak RSS | exit | first line of output |")
    print("|---|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in _hostile_inputs(Path(tmp)).items():
            wall, rss, code, output = _run_validate(path)
            first = output.strip().splitlines()[0].replace(tmp, "$TMP")
            print(f"| {name} | {wall:.2f} s | {rss:.0f} MiB | {code} | `{first}` |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--hostile" in sys.argv:
        hostile()
    else:
        main([int(a) for a in args] or [1000, 5000, 10000], "--profile" in sys.argv)
