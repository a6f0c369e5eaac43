"""Admin for complaints: querysets scoped to the officer's office, transitions via services."""
