"""The outbox of WhatsApp messages and their delivery status.

The models arrive with the WhatsApp issue; this module exists so the app is complete
and migrations have a home.
"""
