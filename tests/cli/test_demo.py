"""`make demo` shows the plan once, and every symbol of its output is explained in a legend line."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import ROOT, Run


def _demo_commands() -> list[list[str]]:
    recipe = (ROOT / "Makefile").read_text().split("\ndemo: venv\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[1:] for line in recipe.splitlines() if "$(BIN)/reconciler" in line]


def test_demo_shows_the_plan_once_with_a_legend(quickstart: Path, cli: Run) -> None:
    commands = _demo_commands()
    assert commands and all(c for c in commands)
    outputs = []
    for args in commands:
        out = cli(*[str(quickstart) if a == "$(EXAMPLE)" else a for a in args])
        assert out.exit_code == 0, (args, out.output)
        outputs.append(out.output)
    text = "\n".join(outputs)
    assert text.count("# folders.mc-demo will be created") == 1
    assert text.count("Plan: ") == 1
    legend = next(line for line in text.splitlines() if line.startswith("Symbols: "))
    shown = set(re.findall(r"^  (\+|~|-/\+|-|<=|=>|/|\?) ", text, re.M))
    for symbol in shown:
        assert f"{symbol} " in legend, (symbol, legend)
    assert "? health check" in legend and "(? = will be checked)" in text
