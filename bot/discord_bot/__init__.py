"""The Discord layer: a thin shell of slash commands and buttons over the search service."""
