"""Outgoing webhooks: a push-only platform that POSTs each transmission, signed, to subscribed URLs."""
