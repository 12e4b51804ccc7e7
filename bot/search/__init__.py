"""The search service both the Discord bot and the command line call."""
