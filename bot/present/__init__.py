"""Markdown for what members and operators read: answers, sources, charts and export files."""
