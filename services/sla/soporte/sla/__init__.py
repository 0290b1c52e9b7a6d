"""soporte.sla"""
