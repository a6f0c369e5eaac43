"""Admin for bookings: querysets scoped to the officer's office, transitions via services."""
