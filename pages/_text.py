"""Text the pages show that they did not write (a user's, a link's, a model's): escaped so markdown fetches
nothing; and a SelectorError shown as one message."""

from __future__ import annotations

import re

import streamlit as st

from selector.errors import SelectorError


# Markdown that could fetch or link: images and links (`[`, `]`), raw HTML and autolinks (`<` before a
# letter, `/`, `!` or `?`), and the backslash itself (so a value cannot undo the escaping). Emphasis and
# code are left alone: they fetch nothing, and field names such as use_cases stay readable.
_MARKDOWN_SYNTAX = re.compile(r"([\\\[\]]|<(?=[A-Za-z/!?]))")


def as_text(text: str) -> str:
    """`text` (a user's, a link's or an echoed value) escaped for st.markdown/st.error: no image is
    fetched, no HTML or link is made, brackets and tags show as typed; line breaks are kept."""
    return "  \n".join(_MARKDOWN_SYNTAX.sub(r"\\\1", line) for line in str(text).splitlines())


_CODE = re.compile(r"(```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`)", re.S)


def without_images(markdown: str) -> str:
    """Model output as markdown with every image turned into plain text: `![`, outside code, becomes
    `&#33;[` (a link at most, which fetches nothing). Raw HTML is not rendered by st.markdown anyway."""
    parts = _CODE.split(markdown)
    return "".join(part if i % 2 else part.replace("![", "&#33;[") for i, part in enumerate(parts))


def show_error_and_stop(exc: SelectorError) -> None:
    """Render a SelectorError as a message (never a traceback) and stop this page run."""
    st.error(as_text(str(exc)), icon=":material/error:")
    st.stop()
