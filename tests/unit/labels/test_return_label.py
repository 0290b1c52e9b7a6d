"""The return label PDF: what a person reads on it, read back with pypdf, and the same bytes every time."""

from __future__ import annotations

import io

import pypdf
import pytest

from soporte.labels import ReturnLabel, return_label_pdf

LABEL = ReturnLabel(
    ticket_id="T-7F3K2M9QXA",
    return_reference="RL-4F2A9C01",
    carrier="Correos Express",
    tracking_number="PK123456789ES",
    shop_address=("Pantallas LCD S.L.", "Calle de la Electrónica 12", "28001 Madrid"),
    customer_name="Ana Pérez",
    customer_address=("Avenida del Sol 3, 2º B", "41001 Sevilla"),
    order_number="100234",
)


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_label_holds_what_the_parcel_and_the_warehouse_need(lang):
    label = ReturnLabel(**{**LABEL.__dict__, "lang": lang})
    text = text_of(return_label_pdf(label))
    for expected in ("T-7F3K2M9QXA", "PK123456789ES", "RL-4F2A9C01", "100234", "Correos Express", "28001 Madrid",
                     "Ana Pérez", "41001 Sevilla"):  # fmt: skip
        assert expected in text
    assert ("DEVOLUCIÓN GRATUITA" in text) == (lang == "es") and ("FREE RETURN" in text) == (lang == "en")


def test_the_page_is_a6_and_the_same_label_gives_the_same_bytes():
    pdf = return_label_pdf(LABEL)
    box = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (298, 420)  # 105 x 148 mm
    assert return_label_pdf(LABEL) == pdf
    assert LABEL.filename == "etiqueta-devolucion-T-7F3K2M9QXA.pdf"


def test_the_label_an_event_describes_is_the_label_printed_before_it():
    from soporte.events import types as t

    data = t.ReturnLabelIssuedData(
        label_id=LABEL.return_reference,
        carrier=LABEL.carrier,
        tracking_number=LABEL.tracking_number,
        order_number=LABEL.order_number,
        return_address=list(LABEL.shop_address),
        customer_name=LABEL.customer_name,
        customer_address=list(LABEL.customer_address),
        language="es",
    )
    assert ReturnLabel.issued(LABEL.ticket_id, data) == LABEL
    assert return_label_pdf(ReturnLabel.issued(LABEL.ticket_id, data)) == return_label_pdf(LABEL)
