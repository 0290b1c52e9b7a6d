"""soporte.businesstime — business-hours calendar and SLA policies (pure, no I/O at call time)."""
