"""The words of a mail: bytes decoded in the right charset, HTML made readable, the new reply cut from its history.

Pure, no I/O. What it guarantees:

- ``decode_text`` never raises: a declared charset is tried first (ISO-8859-1 and
  US-ASCII read as Windows-1252, their superset, as browsers do, since mail
  clients label Windows-1252 text with them), then UTF-8, Windows-1252 and
  Latin-1; the last decodes any byte.
- ``html_to_text`` keeps every visible word, drops what is never shown (head,
  style, script), breaks lines where blocks break and marks ``<blockquote>``
  lines with ``> `` so a quoted history in an HTML-only mail is recognised
  like a plain-text one.
- ``cut_reply`` drops the quoted history and a signature, never a sentence of
  the customer: what it cannot recognise as history or signature stays.
  Quote headers come from ``mail-parser-reply`` (English and Spanish) plus the
  separators it misses, listed once in ``_MISSED_SEPARATORS``; signatures are
  cut by a stricter rule than the library's (see ``_VALEDICTIONS``).
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage as ReplyMessage

# Labels that mail clients put on Windows-1252 text (WHATWG Encoding: these labels mean windows-1252).
_READ_AS_WINDOWS_1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp819"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_text(payload: bytes, charset: str | None) -> str:
    """``payload`` as text: the declared ``charset`` when it decodes, else the likeliest one."""
    candidates = []
    if charset:
        label = charset.strip().strip('"').lower()
        candidates.append("windows-1252" if label in _READ_AS_WINDOWS_1252 else label)
        if label in ("us-ascii", "ascii"):
            candidates.insert(0, "utf-8")  # 8-bit text labelled ASCII is more often UTF-8 than not
    candidates += ["utf-8", "windows-1252", "latin-1"]
    for candidate in candidates:
        try:
            codecs.lookup(candidate)
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")  # unreachable: latin-1 decodes every byte


def html_charset(payload: bytes) -> str | None:
    """The charset an HTML document names in a ``<meta>`` near its start (for parts sent without one)."""
    found = _META_CHARSET.search(payload[:4096])
    return found.group(1).decode("ascii") if found else None


def unflow(text: str, delsp: bool = False) -> str:
    """A ``format=flowed`` text (RFC 3676, Thunderbird's default) with its soft line breaks joined.

    A line ending in a space continues on the next one (the space dropped too with ``delsp=yes``); quoted lines
    join only with lines of the same quote depth; the signature delimiter "-- " is never joined.
    """
    out: list[str] = []
    joining = False
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if joining and out and out[-1][0] == depth:
            out[-1] = (depth, out[-1][1] + content)
        else:
            out.append((depth, content))
        joining = content.endswith(" ") and content != "-- "
        if joining and delsp:
            out[-1] = (depth, out[-1][1][:-1])
    return "\n".join(">" * depth + (" " if depth and content else "") + content for depth, content in out)


# --- HTML to text ------------------------------------------------------------------------------------------------

_HIDDEN = {"head", "style", "script", "title", "template", "noscript"}
_BLOCKS = {
    "address", "article", "aside", "center", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (blockquote depth, text)
        self.current: list[str] = []
        self.hidden = self.quote = self.pre = 0

    def _break(self, blank: bool = False) -> None:
        text = "".join(self.current).strip(" ")
        self.current = []
        if text:
            self.lines.append((self.quote, text))
        if blank and self.lines and self.lines[-1][1]:
            self.lines.append((self.quote, ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self._break()
        elif tag == "li":
            self._break()
            self.current.append("- ")
        elif tag == "blockquote":
            self._break(blank=True)
            self.quote += 1
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag in _BLOCKS:
            self._break(blank=tag in ("p", "table", "ul", "ol", "hr") or tag.startswith("h"))
            self.pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._break()
        elif tag == "hr":
            self._break(blank=True)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            self._break(blank=True)
            self.quote = max(0, self.quote - 1)
        elif tag in _BLOCKS or tag == "li":
            self._break(blank=tag in ("p", "table", "ul", "ol") or tag.startswith("h"))
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def close(self) -> None:
        super().close()
        self._break()  # the last line has no closing tag to end it

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            *complete, rest = data.replace("\r\n", "\n").split("\n")
            for line in complete:
                self.current.append(line)
                self._break()
            self.current.append(rest)
            return
        self.current.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    """The readable text of an HTML mail body; ``<blockquote>`` lines start with ``> ``."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    out: list[str] = []
    for depth, text in parser.lines:
        line = ("> " * depth + text) if text else ">" * depth
        if _is_blank(line) and (not out or _is_blank(out[-1])):
            continue  # one blank line at most
        out.append(line.rstrip())
    while out and _is_blank(out[-1]):
        out.pop()
    return "\n".join(out).strip()


def _is_blank(line: str) -> bool:
    return not line.strip(" >")


# --- cutting a reply -----------------------------------------------------------------------------------------------

_QUOTE = r"(?:> ?)*"
# What mail-parser-reply 1.36 misses, checked against the clients' real output (see the .eml fixtures):
_MISSED_SEPARATORS = re.compile(
    "|".join(
        (
            # Gmail / Apple Mail / Thunderbird in Spanish: "El lun, 2 mar 2026 a las 10:15, X <x@y> escribió:".
            # The library wants two spaces before "escribió"; Gmail also wraps the line before "escribió:".
            rf"^{_QUOTE}El\s(?=[^\n]*\d)[^\n]*(?:\n{_QUOTE}[^\n]*)?escribi[óo]\s?:[ \t]*$",
            # Outlook's separators in Spanish (the library knows only "-----Original Message-----").
            rf"^{_QUOTE}-{{2,}}\s*(?:Mensaje original|Mensaje reenviado|Forwarded message)\s*-{{2,}}[ \t]*$",
            # Outlook's header block: "De:"/"From:" then "Enviado (el):"/"Sent:"/"Fecha:"/"Date:" on the next line.
            rf"^{_QUOTE}\*?(?:De|From)\s?:\*?[ \t][^\n]*\n{_QUOTE}\*?(?:Enviado(?: el)?|Sent|Fecha|Date)\s?:\*?[ \t]",
        )
    ),
    re.MULTILINE | re.IGNORECASE,
)
# Signatures: the library takes everything from any line starting "Gracias," or "- x" to the end for one, which
# would drop "Gracias, pero la pantalla sigue rota." or a customer's list; the rule here is stricter. A signature
# opens with "--" (RFC 3676) and runs at most ten lines, or with a valediction alone on its line followed by at most
# four short lines (a name, a title, a phone), or is a closing "Sent from my …" line.
_VALEDICTIONS = {
    "saludos", "un saludo", "un cordial saludo", "atentamente", "cordialmente", "gracias", "muchas gracias",
    "best regards", "kind regards", "regards", "thanks", "thank you", "best", "all the best", "cheers",
}  # fmt: skip
_SENT_FROM = re.compile(r"^(?:sent from my|get outlook for|enviado desde mi|obtener outlook para)\b", re.IGNORECASE)
_DELIMITED_SIGNATURE_LINES = 10
_LINES_AFTER_VALEDICTION = 4
_SIGNATURE_LINE_CHARS = 60
_RULES = re.compile(r"^[ \t]*(?:[-_=*]{2,}[ \t]*)$")  # separator lines left at the end of a cut reply


def cut_reply(text: str) -> str:
    """The new words of a reply: the quoted history and a recognised signature cut away.

    Empty when the mail holds nothing but quoted history (a bottom-posted reply, a bare forward); the caller
    decides what to keep then.
    """
    text = text.replace("\r\n", "\n")
    missed = _MISSED_SEPARATORS.search(text)
    if missed:
        text = text[: missed.start()]
    parsed = ReplyMessage(text=text, languages=["es", "en"], keep_hyphen_lists=True).read()
    if not parsed.replies:
        return ""
    return _tidy(_cut_signature(_tidy(parsed.replies[0].full_body)))


def _cut_signature(body: str) -> str:
    """``body`` without the signature at its end, when one is recognised (see the rule above)."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        tail = [rest.strip() for rest in lines[i + 1 :] if rest.strip()]
        bare = line.strip().lstrip(">").strip()
        if bare == "--" and len(tail) <= _DELIMITED_SIGNATURE_LINES:
            return "\n".join(lines[:i])
        if _SENT_FROM.match(bare) and not tail:
            return "\n".join(lines[:i])
        if (
            bare.rstrip(",.!¡ ").lower() in _VALEDICTIONS
            and len(tail) <= _LINES_AFTER_VALEDICTION
            and all(len(rest) <= _SIGNATURE_LINE_CHARS for rest in tail)
        ):
            return "\n".join(lines[:i])
    return body


def _tidy(body: str) -> str:
    """Trailing quoted lines, separator rules and blank lines go; the rest stays as written."""
    lines = body.strip().split("\n")
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">") or _RULES.match(lines[-1])):
        lines.pop()
    return "\n".join(lines).strip()
