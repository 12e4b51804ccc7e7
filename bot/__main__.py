"""``python -m bot`` is the same as the ``corpusbot`` command."""

from bot.cli import main

raise SystemExit(main())
