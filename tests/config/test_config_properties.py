"""Property tests (hypothesis) for the loader: generated configs round-trip; junk never crashes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from conftest import CONNECTIONS_YAML, TOY_KINDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import ConfigError, LoadedConfig, load_config

NAMES = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,8}", fullmatch=True)


@st.composite
def configs(draw: st.DrawFn) -> tuple[str, dict[str, set[str]]]:
    """A valid config text and the expected address -> depends_on."""
    orgs = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    apps = draw(st.lists(NAMES, max_size=4, unique=True))
    users = draw(st.lists(NAMES, max_size=4, unique=True))
    expected: dict[str, set[str]] = {}
    lines = ["version: 1", CONNECTIONS_YAML.rstrip("\n"), "orgs:"]
    for o in orgs:
        lines += [f"  '{o}':", f"    ims_org_id: 'id-{o}'"]
        expected[f"orgs.{o}"] = set()
    if apps:
        lines.append("applications:")
    for a in apps:
        org = draw(st.sampled_from(orgs))
        lines += [f"  '{a}':", f"    org: '{org}'", f"    title: 'App {a}'"]
        deps = {f"orgs.{org}"}
        extra = draw(st.lists(st.sampled_from(orgs), max_size=2, unique=True))
        if extra:
            lines.append("    depends_on: [" + ", ".join(f"'orgs.{e}'" for e in extra) + "]")
            deps |= {f"orgs.{e}" for e in extra}
        expected[f"applications.{a}"] = deps
    if users:
        lines.append("users:")
    for u in users:
        org = draw(st.sampled_from(orgs))
        deps = {f"orgs.{org}"}
        email = "'user@example.com'"
        if apps and draw(st.booleans()):
            app = draw(st.sampled_from(apps))
            email = f"'${{applications.{app}.application_id}}@example.com'"
            deps.add(f"applications.{app}")
        lines += [f"  '{u}':", f"    org: '{org}'", f"    email: {email}"]
        expected[f"users.{u}"] = deps
    return "\n".join(lines) + "\n", expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_generated_configs_round_trip(case: tuple[str, dict[str, set[str]]]) -> None:
    text, expected = case
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "main.yaml"
        path.write_text(text)
        cfg = load_config(path, kinds=TOY_KINDS, environ={})
    assert list(cfg.resources) == list(expected)
    for address, deps in expected.items():
        decl = cfg.resources[address]
        assert decl.depends_on == deps
        assert decl.address == f"{decl.kind}.{decl.name}" == address
        assert {ref.address for _, ref in decl.attr_refs} <= deps


FRAGMENTS = st.sampled_from(
    [
        "version: 1\n",
        "version: 2\n",
        "orgs:\n",
        "  acme:\n",
        "    ims_org_id: x\n",
        "connections:\n",
        "  aem: {type: aem, url: sandbox://aem, token: t}\n",
        "applications:\n",
        "  a: {org: acme, title: t}\n",
        "    depends_on: [orgs.acme]\n",
        "- item\n",
        "key: [unclosed\n",
        "\t",
        ": ",
        "${",
        "${env:X}",
        "${orgs.acme.ims_org_id}",
        "$${",
        "&a ",
        "*a\n",
        "<<: *a\n",
        "!tag ",
        "'",
        '"',
        "{",
        "}",
        "[",
        "]",
        "---\n",
        "...\n",
        "# c\n",
        "\n",
        "  ",
        "yes",
        "~",
        "0o17",
        "\x00",
        "\ufeff",
        "?",
        "|\n",
        ">\n",
    ]
)


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "main.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            result = load_config(path, kinds=TOY_KINDS, environ={"X": "secret-value-xyz"})
        except ConfigError as exc:
            assert exc.errors
            assert "secret-value-xyz" not in str(exc)
            for diag in exc.diagnostics:
                if diag.loc is not None:
                    assert diag.loc.line >= 1 and diag.loc.col >= 1
        else:
            assert isinstance(result, LoadedConfig)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=25).map("".join))
def test_fragment_soup_never_crashes(text: str) -> None:
    _check(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_random_text_never_crashes(text: str) -> None:
    _check(text)
