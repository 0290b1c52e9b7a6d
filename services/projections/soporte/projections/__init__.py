"""soporte.projections"""
