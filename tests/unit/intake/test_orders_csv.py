"""Reading a shop's order export: good rows kept, every bad row named by its line in the file."""

from __future__ import annotations

from datetime import UTC, datetime

from soporte.intake.adapters.orders_csv import read_orders_csv

HEADER = "order_number,email,customer_id,customer_name,placed_at,items\n"


def read(tmp_path, text: str):
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    return read_orders_csv(path)


def test_good_rows_are_parsed_with_their_items_and_a_utc_date(tmp_path):
    good, bad = read(
        tmp_path,
        HEADER
        + '100234,Ana@Example.com,cust-1,Ana,2026-11-20T10:00:00+01:00,"LCD-156:Pantalla 15.6"":2;CAB-1:Cable:1"\n'
        '100235,bea@example.com,,,2026-11-21,"[{""sku"":""X"",""name"":""Y"",""quantity"":1}]"\n',
    )
    assert bad == []
    ana, bea = good
    assert ana.placed_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC) and ana.customer_id == "cust-1"
    assert [(i.sku, i.name, i.quantity) for i in ana.items] == [("LCD-156", 'Pantalla 15.6"', 2), ("CAB-1", "Cable", 1)]
    assert bea.customer_id is None and bea.placed_at.tzinfo is not None and bea.items[0].sku == "X"


def test_bad_rows_are_reported_by_their_own_line_even_after_a_multi_line_value(tmp_path):
    text = HEADER + (
        '100001,ana@example.com,,"Ana\nde la Cruz",2026-11-20,\n'  # lines 2-3: a name with a line break is fine
        "100002,not-an-email,,Bea,2026-11-20,\n"  # line 4
        "100003,carlos@example.com,,Carlos,yesterday,\n"  # line 5
        "100004,dani@example.com,,Dani,2026-11-20,LCD:two\n"  # line 6
        ",eli@example.com,,Eli,2026-11-20,\n"  # line 7
        "100006,fer@example.com,,Fer,2026-11-20,,surplus\n"  # line 8
        "100007,gil@example.com\n"  # line 9: too short
    )
    good, bad = read(tmp_path, text)
    assert [o.order_number for o in good] == ["100001"]
    assert [line for line, _ in bad] == [4, 5, 6, 7, 8, 9]
    reasons = dict(bad)
    assert reasons[4].startswith("email:") and reasons[5].startswith("placed_at:") and reasons[6].startswith("items:")
    assert (
        reasons[7] == "order_number: empty"
        and "more than there are columns" in reasons[8]
        and reasons[9] == "placed_at: empty"
    )


def test_a_file_without_the_needed_columns_is_refused_as_a_whole(tmp_path):
    good, bad = read(tmp_path, "number,mail\n1,a@b.c\n")
    assert good == [] and bad == [(1, "missing columns: order_number, email, placed_at")]


def test_a_shipping_address_column_gives_the_orders_address_a_line_each(tmp_path):
    good, bad = read(
        tmp_path,
        "order_number,email,placed_at,shipping_address\n"
        "100301,ana@example.com,2026-11-20,Ana Pérez | Avenida del Sol 3 | 41001 Sevilla\n"
        '100302,bea@example.com,2026-11-20,"Bea Ruiz\nCalle Mayor 1\n28013 Madrid"\n'
        "100303,carlos@example.com,2026-11-20,\n",
    )
    assert bad == []
    assert [order.shipping_address for order in good] == [
        ["Ana Pérez", "Avenida del Sol 3", "41001 Sevilla"],
        ["Bea Ruiz", "Calle Mayor 1", "28013 Madrid"],
        None,
    ]
