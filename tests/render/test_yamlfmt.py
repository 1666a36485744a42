"""``fmt``'s layout (render.yamlfmt): whole-line comments stay with the key they stand above when
the indentation changes; the data and the comments' text never change; formatting is idempotent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.render.yamlfmt import format_yaml, parse

FOUR = """\
version: 1
folders:
    a:
        connection: author
        # about a's title
        title: A
    # about b
    b:
        connection: author
"""


def test_a_comment_above_a_key_moves_with_the_key() -> None:
    assert format_yaml(FOUR) == (
        "version: 1\nfolders:\n  a:\n    connection: author\n    # about a's title\n    title: A\n"
        "  # about b\n  b:\n    connection: author\n"
    )


names = st.text(alphabet="abcdefgh", min_size=1, max_size=5)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A configuration-like document indented by ``step`` spaces, with comments above some keys."""
    step = draw(st.sampled_from([2, 3, 4, 6]))
    lines = ["version: 1", "folders:"]
    for key in draw(st.lists(names, min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            lines.append(" " * step + f"# about {key}")
        lines.append(" " * step + f"{key}:")
        for field in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
            if draw(st.booleans()):
                lines.append(" " * 2 * step + f"# about {key}.{field}")
            lines.append(" " * 2 * step + f"{field}: {draw(names)}")
    return "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None)
@given(text=documents())
def test_comments_stand_at_the_indentation_of_the_key_below_them(text: str) -> None:
    out = format_yaml(text)
    assert parse(out) == parse(text) and format_yaml(out) == out
    lines = out.splitlines()
    comments = [i for i, line in enumerate(lines) if line.lstrip().startswith("#")]
    assert [lines[i].strip() for i in comments] == [x.strip() for x in text.splitlines() if x.lstrip().startswith("#")]
    for i in comments:
        below = lines[i + 1]
        assert len(lines[i]) - len(lines[i].lstrip()) == len(below) - len(below.lstrip()), out
