"""What every app's admin shares."""


class ReadOnlyAdminMixin:
    """For rows only services write (slots, histories, calls, logs): staff may look at
    them, never add, change or delete them by hand."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
