"""Template filters for times a person reads: `{{ slot.starts_at|office_time:office }}`
gives "08:00 WIT" whatever zone is active (see offices/localtime.py)."""

from django import template

from offices import localtime

register = template.Library()


@register.filter
def office_time(value, office):
    """ "08:00 WITA": the time of day in the office's zone, with its label."""
    return localtime.local_text(value, office, localtime.TIME) if value and office else ""


@register.filter
def office_datetime(value, office):
    """ "4 Des 2026 08:00 WITA"."""
    return localtime.local_text(value, office, localtime.DATETIME) if value and office else ""
