"""The bot's own words (replies, buttons, errors, command names) in every shipped language."""
