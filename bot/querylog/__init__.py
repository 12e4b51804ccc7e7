"""The query log: every interaction as a row in SQLite, and what moderators and members do with
those rows (listings, stats, export, votes, purges, forget-me)."""
