"""Booking by WhatsApp: the parser of what applicants type, and the conversation."""
