"""Indexing: walk posts/, parse what changed, reconcile the store."""
