"""HTML bodies made safe to show (``sanitize_html``) and readable as text (``html_to_text``).

Captured HTML comes from strangers. What survives ``sanitize_html`` can run nothing,
submit nothing and load nothing when it is viewed: no scripts, styles, frames or
forms, no event handlers or ``style`` attributes, and no images at all — a remote
image is a tracking pixel that tells the sender when and where the mail was read,
so each ``<img>`` becomes its alt text.
"""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Elements dropped together with everything inside them.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "head", "noscript", "template", "textarea", "select"})

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def _image_to_alt(match: re.Match[str]) -> str:
    alt = _ALT.search(match.group())
    if not alt:
        return ""
    text = html_lib.unescape(next(group for group in alt.groups() if group is not None)).strip()
    return f"[{html_lib.escape(text, quote=False)}]" if text else ""


def sanitize_html(html: str) -> str:
    """A conservative, inert subset of ``html`` (see the module docstring)."""
    if not html:
        return ""
    try:
        return nh3.clean(
            _IMG.sub(_image_to_alt, html),
            tags=set(ALLOWED_TAGS),
            clean_content_tags=set(DROPPED_WITH_CONTENT),
            attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(URL_SCHEMES),
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    except Exception:
        # nh3 only fails on arguments, never on input; if it ever does, show text, not HTML.
        return html_lib.escape(html_to_text(html), quote=False)


_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_HIDDEN_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template"})
# Block boundaries are markers first, so that "</div><div>" is one line break, not two.
_BREAK = "\x02"
_PARAGRAPH = "\x03"
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})
_BOUNDARIES = re.compile(r"[ \t]*[\x02\x03][\x02\x03 \t]*")
_SPACES = re.compile(r"[ \t\f\v\r\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append(_BREAK + "- ")
        elif tag in _BLOCK_TAGS:
            self.parts.append(_PARAGRAPH if tag in _PARAGRAPH_TAGS else _BREAK)
            if tag == "pre":
                self.pre += 1
        elif tag in _CELL_TAGS:
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and not self.hidden:
                self.parts.append(f"[{alt.strip()}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_TAGS and tag != "li":
            self.parts.append(_PARAGRAPH if tag in _PARAGRAPH_TAGS else _BREAK)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            # Kept through the whitespace collapse below.
            self.parts.append(data.replace("\n", "\x00").replace(" ", "\x01"))
        else:
            self.parts.append(" ".join(data.split()) if data.strip() else (" " if data else ""))
            if data[:1].isspace() and data.strip():
                self.parts[-1] = " " + self.parts[-1]
            if data[-1:].isspace() and data.strip():
                self.parts[-1] += " "


def html_to_text(html: str) -> str:
    """Readable plain text: blocks and ``<br>`` become line breaks, entities decoded, spaces collapsed."""
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        # HTMLParser is lenient; this is a last resort that still never leaks markup.
        return " ".join(re.sub(r"<[^>]*>", " ", html_lib.unescape(html)).split())
    text = _BOUNDARIES.sub(lambda m: "\n\n" if _PARAGRAPH in m.group() else "\n", "".join(parser.parts))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines).replace("\x00", "\n").replace("\x01", " ")
    return _BLANK_LINES.sub("\n\n", text).strip()
