"""Admin for notifications: querysets scoped to the officer's office, transitions via services."""
