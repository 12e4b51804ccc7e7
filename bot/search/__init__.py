"""The search service both the Discord bot and the command line call: ranking (``service``),
snippet choice (``snippets``), ``/source`` id completion, and loading it from the settings."""
