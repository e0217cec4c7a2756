"""Discord: slash commands, page buttons and the REST sender."""
