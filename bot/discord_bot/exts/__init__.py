"""One extension per feature, each loaded by the bot's ``setup_hook`` with ``load_extension``."""
