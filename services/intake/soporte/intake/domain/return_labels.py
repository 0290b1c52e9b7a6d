"""A free return label: what it says, and the printable PDF with the reference the event keeps (pure).

The label's PDF is a function of the ``ReturnLabelIssued`` data (``soporte.labels``
prints the same bytes from the same data), so the file stored with the ticket is
the file the notifier attaches to the mail, printed again from the event.
"""

from __future__ import annotations

import hashlib

from soporte.events import AttachmentRef
from soporte.events import types as t
from soporte.labels import LABEL_CONTENT_TYPE, ReturnLabel, return_label_pdf

from .tickets import TicketState


def return_label_data(
    state: TicketState,
    *,
    label_id: str,
    carrier: str,
    tracking_number: str,
    return_address: tuple[str, ...],
    customer_address: tuple[str, ...],
) -> t.ReturnLabelIssuedData:
    """What a return label for the ticket says: the shop's address, the customer's name and (when the order
    told) address, the ticket's order and language; ``label`` (the file) is still unset."""
    return t.ReturnLabelIssuedData(
        label_id=label_id,
        carrier=carrier,
        tracking_number=tracking_number,
        order_number=state.order_number,
        return_address=list(return_address),
        customer_name=state.customer_name,
        customer_address=list(customer_address),
        language=state.language,
    )


def printed(ticket_id: str, data: t.ReturnLabelIssuedData) -> tuple[bytes, t.ReturnLabelIssuedData]:
    """The label's PDF, and ``data`` referring to it as its ``label`` file."""
    label = ReturnLabel.issued(ticket_id, data)
    pdf = return_label_pdf(label)
    file = AttachmentRef(
        sha256=hashlib.sha256(pdf).hexdigest(), filename=label.filename, content_type=LABEL_CONTENT_TYPE, size=len(pdf)
    )
    return pdf, data.model_copy(update={"label": file})
