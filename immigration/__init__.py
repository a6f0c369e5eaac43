"""Antrean: passport front-desk booking for Indonesian immigration offices."""

from immigration.celery import app as celery_app

__all__ = ("celery_app",)
