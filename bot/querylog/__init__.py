"""The query log: every interaction as a row in SQLite or PostgreSQL, and what moderators and
members do with those rows. The Discord cogs and ``corpusbot log`` call the same functions, so a
moderator sees the same rows in either place.

Lowest first: ``clock``, ``records``, ``normalise``, ``files``, ``identities`` and
``transactions`` depend on nothing here; ``dialect`` says what differs between the databases and
``schema`` holds the migrations; ``connection`` is the one way to open a SQLite log, and
``backends`` puts SQLite and PostgreSQL behind one seam; ``writer`` is the bot's buffered
writer. Readers and changes take a :class:`~bot.querylog.scope.Scope`: ``filters``,
``listings``, ``stats``, ``export``, ``retention``, ``votes`` and ``actions``; ``moderation``
holds the rules of moderator buttons and ``database`` runs all of them off the event loop for
the bot.
"""
