"""Admin for offices: querysets scoped to the officer's office, transitions via services."""
