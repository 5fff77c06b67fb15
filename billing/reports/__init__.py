"""Report building blocks for the billing pages (CDR figures, deep keyset paging)."""
