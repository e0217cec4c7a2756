"""The service layer: what the chat adapters (bot.platforms) and the CLI may ask of the store.

Adapters call these, never `bot.store`; a service owns its sessions and the clock. The layers, as
the import contracts in pyproject.toml state them (`make lint` checks them): content ← store ←
broadcast | index ← services ← platforms ← app/cli.
"""
