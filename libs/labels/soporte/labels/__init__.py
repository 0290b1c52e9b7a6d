"""soporte.labels — the free return label as a printable PDF (A6), the same bytes wherever it is made.

Intake stores it with the ticket's attachments when an agent issues the label,
and the notifier attaches it to the customer's mail; both build it from the
ReturnLabelIssued data (``ReturnLabel.issued``) with ``return_label_pdf``, which
is deterministic (no creation time, fixed ids), so the mail's PDF is the file
the status page serves.

On the label: the shop's return address (the parcel goes there), the
customer's name and address when known, ticket, order, carrier, the tracking
number as a Code 128 barcode with its digits, a QR code with the return
reference and tracking number, and the return reference itself.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from soporte.events import types as t

LABEL_CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class ReturnLabel:
    """What a return label shows. ``lang`` chooses the printed headings (es, en)."""

    ticket_id: str
    return_reference: str  # the label id agents and the warehouse quote
    carrier: str
    tracking_number: str
    shop_address: tuple[str, ...]  # the parcel's destination, one line each
    customer_name: str
    customer_address: tuple[str, ...] = ()
    order_number: str | None = None
    lang: str = "es"

    @classmethod
    def issued(cls, ticket_id: str, data: t.ReturnLabelIssuedData) -> ReturnLabel:
        """The label a ``ReturnLabelIssued`` of ``ticket_id`` describes (everything it prints is in the event)."""
        return cls(
            ticket_id=ticket_id,
            return_reference=data.label_id,
            carrier=data.carrier,
            tracking_number=data.tracking_number,
            shop_address=tuple(data.return_address),
            customer_name=data.customer_name or "",
            customer_address=tuple(data.customer_address),
            order_number=data.order_number,
            lang=data.language.value if data.language else "es",
        )

    @property
    def filename(self) -> str:
        return (
            f"etiqueta-devolucion-{self.ticket_id}.pdf" if self.lang == "es" else f"return-label-{self.ticket_id}.pdf"
        )


_HEADINGS = {
    "es": {"title": "DEVOLUCIÓN GRATUITA", "to": "ENVIAR A", "from": "REMITENTE", "ticket": "Ticket",
           "order": "Pedido", "carrier": "Transportista", "reference": "Referencia de devolución",
           "tracking": "Número de seguimiento"},
    "en": {"title": "FREE RETURN", "to": "SHIP TO", "from": "FROM", "ticket": "Ticket", "order": "Order",
           "carrier": "Carrier", "reference": "Return reference", "tracking": "Tracking number"},
}  # fmt: skip


def return_label_pdf(label: ReturnLabel) -> bytes:
    """The label as PDF bytes (one A6 page); equal input gives equal bytes."""
    words = _HEADINGS["en" if label.lang == "en" else "es"]
    out = io.BytesIO()
    # invariant: no timestamps or random ids in the file, so the same label is the same bytes everywhere.
    page = canvas.Canvas(out, pagesize=A6, invariant=1, pageCompression=0)
    page.setTitle(f"{words['title']} {label.ticket_id}")
    width, height = A6
    margin = 7 * mm
    y = height - margin

    def line(text: str, size: float = 9, bold: bool = False, gap: float = 1.3) -> None:
        nonlocal y
        y -= size * gap
        page.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        page.drawString(margin, y, text)

    line(words["title"], 13, bold=True)
    line(words["to"], 7, bold=True, gap=2.0)
    for text in label.shop_address:
        line(text, 11, bold=True)
    line(words["from"], 7, bold=True, gap=2.0)
    for text in (label.customer_name, *label.customer_address):
        line(text, 9)
    line(
        f"{words['ticket']}: {label.ticket_id}"
        + (f"    {words['order']}: {label.order_number}" if label.order_number else ""),
        9,
        gap=2.0,
    )
    line(f"{words['carrier']}: {label.carrier}", 9)
    line(f"{words['reference']}: {label.return_reference}", 9, bold=True)

    barcode = code128.Code128(label.tracking_number, barHeight=16 * mm, barWidth=0.33 * mm, humanReadable=False)
    y -= 20 * mm
    barcode.drawOn(page, margin, y)
    line(f"{words['tracking']}: {label.tracking_number}", 9, gap=1.4)

    code = qr.QrCodeWidget(f"{label.return_reference} {label.tracking_number} {label.ticket_id}")
    x0, y0, x1, y1 = code.getBounds()
    size = 26 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(code)
    renderPDF.draw(drawing, page, width - margin - size, margin)
    page.showPage()
    page.save()
    return out.getvalue()


__all__ = ["LABEL_CONTENT_TYPE", "ReturnLabel", "return_label_pdf"]
