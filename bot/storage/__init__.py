"""Memory-mappable storage: string tables, lazy sequences and the passage store."""
