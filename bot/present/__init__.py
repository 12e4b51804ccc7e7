"""What members and operators read, made from plain results: answers and sources as safe
Markdown, the stats chart as a PNG, and exports cut to fit an upload limit."""
