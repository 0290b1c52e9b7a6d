"""soporte.intake"""
