"""soporte.notifier"""
