"""The broadcast engine: the outbox of deliveries and the sender that drains it (no platform imports)."""
