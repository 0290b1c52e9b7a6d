"""What to do with an inbound mail before it touches a ticket: is it noise, and what does it point at?

Pure, no I/O. ``noise_reason`` names why a mail must not become a ticket event
(an auto-reply, a list, a mailer daemon, the desk's own mail coming back): answering
any of them could start a mail loop, so they are dropped and logged, never answered.
The matching helpers only read candidates out of the mail; whether a token is
genuine, a Message-ID is ours or an order is the sender's is decided by the caller
against the desk's secret and data. The guesses (category, language) of a new
ticket by mail are only guesses: "other" and Spanish, the desk's language, when
nothing stands out, and an agent corrects them like any ticket's.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from soporte.events import Category, Language

from .inbound_mail import InboundMail

_DAEMONS = {"mailer-daemon", "postmaster"}
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_TICKET_ID = re.compile(r"(?<![A-Z0-9])T-[0-9A-Z]{10}(?![A-Z0-9])", re.IGNORECASE)
# "pedido 100234", "nº de pedido: 100234", "order #A-100234", "Order number 100234", "#100234"
_ORDER_AFTER_WORD = re.compile(
    r"(?:pedido|order|orden|compra|n[º°o]\.?|n[úu]m(?:ero)?\.?|number|#)"
    r"(?:\s+(?:de\s+pedido|de\s+orden|number|n[º°o]\.?|no\.))?\s*[:#]?\s*#?"
    r"([A-Z0-9][A-Z0-9-]{2,63})",
    re.IGNORECASE,
)
_BARE_ORDER = re.compile(r"(?<![\w-])(\d{5,12})(?![\w-])")
MAX_ORDER_CANDIDATES = 10


def noise_reason(mail: InboundMail, own_addresses: Collection[str]) -> str | None:
    """Why ``mail`` is automatic or a loop (dropped, logged at INFO), or None for a mail a person wrote."""
    auto_submitted = (mail.header("auto-submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x-autoreply", "x-autorespond"):
        value = mail.header(name)
        if value is not None and value.strip().lower() not in ("no", "false"):
            return f"{name}: {value}"
    precedence = (mail.header("precedence") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if mail.header("list-id") is not None and mail.header("list-unsubscribe") is not None:
        # A list or newsletter sends with both; a person's mail relayed by a group alias carries List-Id only.
        return f"mailing list {mail.header('list-id')}"
    local, _, _ = mail.sender.partition("@")
    if local in _DAEMONS:
        return f"sent by {mail.sender}"
    if mail.envelope_sender == "":
        return "null envelope sender (automatic mail)"
    if is_own_address(mail.sender, own_addresses):
        return f"sent by the desk's own address {mail.sender}"
    if mail.header("x-soporte-notification") is not None:
        return "one of the desk's own notifications came back"
    loop = (mail.header("x-loop") or "").strip().lower()
    if loop and is_own_address(loop, own_addresses):
        return f"X-Loop: {loop}"
    return None


def is_own_address(address: str, own_addresses: Collection[str]) -> bool:
    """Whether ``address`` is one of the desk's addresses, with or without a ``+tag``."""
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    local = local.split("+", 1)[0]
    return any(f"{local}@{domain}" == own.strip().lower() for own in own_addresses if own)


def plus_tokens(recipients: Iterable[str], reply_address: str) -> list[str]:
    """The ``<token>`` of every ``<local>+<token>@<domain>`` recipient of the desk's reply address, in order."""
    local, _, domain = reply_address.strip().lower().rpartition("@")
    tokens = []
    for recipient in recipients:
        their_local, _, their_domain = recipient.strip().lower().rpartition("@")
        if their_domain == domain and their_local.startswith(f"{local}+") and len(their_local) > len(local) + 1:
            tokens.append(their_local[len(local) + 1 :])
    return list(dict.fromkeys(tokens))


def ticket_ids_in(subject: str) -> list[str]:
    """The ticket ids (``T-XXXXXXXXXX``) a subject names, upper-cased, in order."""
    return list(dict.fromkeys(found.upper() for found in _TICKET_ID.findall(subject)))


def order_number_candidates(*texts: str) -> list[str]:
    """Strings that may be order numbers, likeliest first (after a word such as "pedido", then bare numbers).

    The caller keeps the first that is an order of the sender's; a phone number or a date read here is harmless.
    """
    texts = tuple(_TICKET_ID.sub(" ", text) for text in texts)  # a ticket id is not an order number
    found = [m for text in texts for m in _ORDER_AFTER_WORD.findall(text) if any(c.isdigit() for c in m)]
    found += [m for text in texts for m in _BARE_ORDER.findall(text)]
    return list(dict.fromkeys(m.strip("-") for m in found))[:MAX_ORDER_CANDIDATES]


# In order: a broken screen that does not turn on is a damaged item before it is a troubleshooting case.
_CATEGORY_WORDS: tuple[tuple[Category, tuple[str, ...]], ...] = (
    (Category.DAMAGED_ITEM, ("rot[oa]s?", "rajad", "partid", "golpead", "dañad", "aplastad", "cracked", "broken",
                             "damaged", "shattered")),
    (Category.WRONG_ITEM, ("equivocad", "no es (?:el|la) que ped", "otro modelo", "wrong (?:item|part|model|screen)",
                           "not what i ordered")),
    (Category.RETURN_REQUEST, ("devoluci[oó]n", "devolver", "reembolso", r"return(?:ing)?\b", "refund")),
    (Category.ORDER_STATUS, ("d[oó]nde est[aá] mi pedido", "estado de(?:l| mi) pedido", "seguimiento",
                             "no (?:me )?ha llegado", "where is my order", "order status", "tracking",
                             "not (?:yet )?(?:arrived|delivered)")),
    (Category.TROUBLESHOOTING, ("no enciende", "parpade", "l[ií]neas?", "no funciona", "no se ve", "flicker",
                                "does(?:n't| not) (?:turn on|work)", "not working", "lines? on")),
    (Category.LCD_DIAGNOSIS, ("diagn[oó]stic", "compatible", "qu[eé] pantalla", "which (?:screen|panel)", "diagnos")),
    (Category.PRE_SALES, ("precio", "stock", "disponib", "presupuesto", "price", "in stock", "availab",
                          "quote")),
)  # fmt: skip
_CATEGORY_PATTERNS = tuple(
    (category, re.compile(rf"\b(?:{'|'.join(words)})", re.IGNORECASE)) for category, words in _CATEGORY_WORDS
)
_SPANISH = re.compile(
    r"\b(?:el|la|los|las|de|del|que|y|en|por|para|con|una?|mi|pedido|pantalla|gracias|hola|buen[oa]s)\b|[ñáéíóú¿¡]",
    re.IGNORECASE,
)
_ENGLISH = re.compile(
    r"\b(?:the|and|of|to|is|my|it|for|with|screen|order|thanks|thank|hello|hi|please|arrived|broken)\b", re.IGNORECASE
)


def guess_category(subject: str, text: str) -> Category:
    """The first category whose words appear in the subject, then in the text; "other" when none does."""
    for where in (subject, text):
        for category, pattern in _CATEGORY_PATTERNS:
            if pattern.search(where):
                return category
    return Category.OTHER


def guess_language(*texts: str) -> Language:
    """English when the text reads more English than Spanish; Spanish, the desk's language, otherwise."""
    text = " ".join(texts)
    return Language.EN if len(_ENGLISH.findall(text)) > len(_SPANISH.findall(text)) else Language.ES
