"""`soporte orders import FILE.csv`: good rows kept, bad rows reported with their line numbers."""

from __future__ import annotations

import asyncpg

from tests.support.intake import soporte_cli

CSV = """order_number,email,customer_id,customer_name,placed_at,items
100234,ana@example.com,cust-1,Ana,2026-11-20T10:00:00+01:00,LCD-156:Pantalla 15.6:1
100235,not-an-email,cust-2,Bea,2026-11-21T10:00:00,LCD-140:Pantalla 14:1
100236,carlos@example.com,,Carlos,2026-11-22,LCD-173:Pantalla 17.3:2;CAB-1:Cable:1
100237,dani@example.com,cust-4,Dani,yesterday,
"""


async def test_import_keeps_good_rows_and_names_the_bad_lines(intake_settings, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(CSV, encoding="utf-8")
    result = soporte_cli(intake_settings, "orders", "import", str(path))
    assert result.returncode == 1  # some rows were refused
    assert "2 orders imported, 2 rows refused" in result.stdout
    assert "line 3:" in result.stderr and "line 5:" in result.stderr and "imported 2/2" in result.stderr
    conn = await asyncpg.connect(intake_settings.database_url)
    try:
        rows = await conn.fetch("SELECT order_number, email, items FROM intake.orders ORDER BY order_number")
    finally:
        await conn.close()
    assert [(r["order_number"], r["email"]) for r in rows] == [
        ("100234", "ana@example.com"),
        ("100236", "carlos@example.com"),
    ]
    assert '"quantity": 2' in rows[1]["items"]
