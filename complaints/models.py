"""Complaints about pungli and calo, their evidence and their review events.

The models arrive with the complaints issue; this module exists so the app is
complete and migrations have a home.
"""
