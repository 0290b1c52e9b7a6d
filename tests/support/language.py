"""Does a text read as one language? No internal code, no word of the other language.

Used by the tests that render every page and mail in Spanish and English. What
the customer or agent typed is not ours to judge: pass it as ``typed`` and it is
left out before the check.
"""

from __future__ import annotations

import html
import re

from soporte import events as ev
from soporte.events import types as t

# Codes the system uses and a person must never read.
CODES = (
    {c.value for c in ev.Category}
    | {c.value for c in t.SlaClock}
    | {"order_number", "photo_of_item", "detailed_description", "waiting_on_customer", "at_risk"}
    | {cls.model_fields["type"].default for cls in t.ALL_EVENT_TYPES}
    | {"customer_replied", "agent_reopened", "team-lead"}
    | {r.value for r in ev.FileRefusal}
)
# Words that give a language away (short, common, and not words of the other language).
ENGLISH = {
    "the",
    "and",
    "your",
    "you",
    "we",
    "our",
    "please",
    "hello",
    "order",
    "received",
    "answer",
    "reply",
    "waiting",
    "resolved",
    "breach",
    "breached",
    "warning",
    "deadline",
    "level",
    "clock",
    "files",
    "photo",
    "item",
    "with",
    "from",
    "will",
    "has",
    "have",
    "this",
    "that",
    "here",
    "sign",
    "send",
    "back",
    "yes",
    "customer",
    "agent",
}
SPANISH = {
    "el",
    "la",
    "los",
    "las",
    "su",
    "sus",
    "y",
    "con",
    "para",
    "por",
    "hola",
    "pedido",
    "recibido",
    "respuesta",
    "gracias",
    "foto",
    "artículo",
    "hemos",
    "nuestro",
    "que",
    "del",
    "una",
    "un",
    "es",
    "está",
    "sí",
    "cliente",
    "agente",
    "enviar",
    "plazo",
    "aviso",
    "nivel",
}
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_WORD = re.compile(r"[^\W\d_]+(?:[-_][^\W\d_]+)*", re.U)


def visible_text(markup: str) -> str:
    """The text a person reads in HTML (tags, scripts and styles removed, entities decoded)."""
    return html.unescape(_TAGS.sub(" ", markup))


def problems(lang: str, text: str, typed: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with ``text`` as ``lang``: codes shown, words of the other language."""
    for piece in sorted(typed, key=len, reverse=True):
        text = text.replace(piece, " ")
    text = re.sub(r"\S+@\S+|https?://\S+|\bT-[0-9A-Z]{10}\b", " ", text)  # addresses, links and ticket ids
    found = []
    for token in _WORD.findall(text):
        lower = token.lower()
        if token in CODES and ("_" in token or "-" in token or any(c.isupper() for c in token[1:])):
            found.append(f"code {token!r}")
        elif lower in (ENGLISH if lang == "es" else SPANISH):
            found.append(f"{'English' if lang == 'es' else 'Spanish'} word {token!r}")
    return found


def assert_reads_as(lang: str, text: str, typed: tuple[str, ...] = (), where: str = "") -> None:
    found = problems(lang, text, typed)
    assert not found, f"{where or 'text'} in {lang}: {', '.join(found)}\n---\n{text[:3000]}"
