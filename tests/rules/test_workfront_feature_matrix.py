"""The packaged reconciler/data/workfront-features.yaml must say exactly what seed 002's feature parity matrix says.

The seed is read from ``../shared/seeds/`` beside the repository; without it the test is skipped.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.helpers import ROOT

SEED = ROOT.parent / "shared" / "seeds" / "002_6a58d2d9d18e5871.txt"
DATA = ROOT / "reconciler" / "data" / "workfront-features.yaml"

_DNL = re.compile(r"\[!DNL ([^\]]*)\]")
_ITALIC = re.compile(r"\*([^*]+)\*")


def plain(text: str) -> str:
    """Seed markup to plain text: ``[!DNL X]`` -> X, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_DNL.sub(r"\1", text)).split())


def cell(text: str) -> Any:
    value = plain(text)
    if value == "\u2713":
        return "supported"
    if value in ("No", "Upcoming", "Custom"):
        return value.lower()
    return {"value": "manual", "note": value}


def parse_seed(text: str) -> dict[str, Any]:
    """The comparison table of the seed: header columns, deployment row, sections and features."""
    start = text.index("{#feature-parity-matrix}")
    rows = [line.strip() for line in text[start:].splitlines() if line.strip().startswith("|")]
    split = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    header, body = split[0], [r for r in split[2:]]  # split[1] is the |---| line
    columns = []
    for col in header[2:]:
        note = _ITALIC.search(col)
        columns.append(
            {
                "title": plain(_ITALIC.sub("", col)),
                "requires_connector": note is not None and note.group(1).startswith("Requires"),
            }
        )
    out: dict[str, Any] = {"columns": columns, "features": [], "deployment": None}
    section = None
    for row in body:
        if len(row) == 1 or all(not c for c in row[1:]):
            section = plain(row[0]).strip("*").strip()
            continue
        title, description, cells = plain(row[0]), plain(row[1]), [cell(c) for c in row[2:]]
        if title == "Deployment methods":
            out["deployment"] = {
                "description": description,
                "values": [[v.strip() for v in plain(c).split(",")] for c in row[2:]],
            }
            continue
        out["features"].append({"section": section, "title": title, "description": description, "cells": cells})
    return out


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    if not SEED.exists():
        pytest.skip(f"seed 002 not found at {SEED} (../shared is absent in this checkout)")
    return parse_seed(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(DATA.read_text(encoding="utf-8"))
    return loaded


def test_columns_match(seed: dict[str, Any], data: dict[str, Any]) -> None:
    order = data["column_order"]
    assert len(order) == len(seed["columns"]) == 4
    for key, col in zip(order, seed["columns"], strict=True):
        assert data["types"][key]["title"] == col["title"], key
        assert data["types"][key]["requires_connector"] == col["requires_connector"], key


def test_deployment_methods_match(seed: dict[str, Any], data: dict[str, Any]) -> None:
    dep = data["deployment_methods"]
    assert dep["description"] == seed["deployment"]["description"]
    for key, values in zip(data["column_order"], seed["deployment"]["values"], strict=True):
        assert dep["values"][key] == values, key


def test_every_feature_and_cell_matches(seed: dict[str, Any], data: dict[str, Any]) -> None:
    features = list(data["features"].values())
    assert [f["title"] for f in features] == [f["title"] for f in seed["features"]], "rows differ or are out of order"
    assert len(features) == 29
    mismatches = []
    for mine, theirs in zip(features, seed["features"], strict=True):
        if mine["section"] != theirs["section"]:
            mismatches.append(f"{mine['title']}: section {mine['section']!r} != seed {theirs['section']!r}")
        if mine["description"] != theirs["description"]:
            mismatches.append(f"{mine['title']}: description differs from the seed")
        for key, seed_cell in zip(data["column_order"], theirs["cells"], strict=True):
            if mine["support"][key] != seed_cell:
                mismatches.append(f"{mine['title']} / {key}: {mine['support'][key]!r} != seed {seed_cell!r}")
    assert mismatches == []


def test_the_comparison_catches_a_changed_cell(seed: dict[str, Any], data: dict[str, Any]) -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "| Comment Syncing| Automatically sync comments for assets from [!DNL Workfront] to [!DNL Assets]| No ",
        "| Comment Syncing| Automatically sync comments for assets from [!DNL Workfront] to [!DNL Assets]| Upcoming ",
    )
    changed = parse_seed(text)
    row = next(f for f in changed["features"] if f["title"] == "Comment Syncing")
    assert row["cells"][0] == "upcoming" != data["features"]["comment_sync"]["support"]["assets_essentials"]


def test_values_are_the_documented_ones(data: dict[str, Any]) -> None:
    for key, feature in data["features"].items():
        assert set(feature["support"]) == set(data["types"]), key
        for value in feature["support"].values():
            assert value in ("supported", "no", "upcoming", "custom") or (
                isinstance(value, dict) and value["value"] == "manual" and value["note"]
            ), key
