"""Platform adapters: each renders views for its platform, sends them, and receives commands."""
