"""Canned replies' placeholders: the known ones are filled, unknown ones are named, any other brace is text."""

from __future__ import annotations

from soporte.ticketrules import PLACEHOLDERS, fill, unknown_placeholders


def test_each_known_placeholder_is_filled_and_a_missing_value_leaves_nothing_behind():
    text = "Hola {customer_name}: su pedido {order_number} (ticket {ticket_id}) llega antes de {expected_by}."
    values = {"customer_name": "Ana Pérez", "ticket_id": "T-ABCDEFGHJK", "expected_by": "lunes 2 de marzo, 10:00"}
    filled = fill(text, values)
    assert filled == "Hola Ana Pérez: su pedido  (ticket T-ABCDEFGHJK) llega antes de lunes 2 de marzo, 10:00."
    assert set(PLACEHOLDERS) == {"customer_name", "order_number", "ticket_id", "expected_by"}


def test_unknown_names_are_reported_once_and_left_as_they_are():
    text = "Hola {nombre} {customer_name} {nombre} {} {Customer_Name} {{literal}}"
    assert unknown_placeholders(text) == ["nombre", "literal"]
    assert fill(text, {"customer_name": "Ana"}) == "Hola {nombre} Ana {nombre} {} {Customer_Name} {{literal}}"


def test_a_value_holding_braces_is_not_filled_again():
    values = {"customer_name": "{ticket_id}", "ticket_id": "T-1"}
    assert fill("{customer_name} / {ticket_id}", values) == "{ticket_id} / T-1"
