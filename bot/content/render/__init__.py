"""Renderers: one per platform, each turning views into a message within that platform's limits."""
