"""Offices, their opening hours, closures and capacity.

The models arrive with the offices issue; this module exists so the app is complete
and migrations have a home.
"""
