"""Prometheus metrics: one registry for the whole bot, served on /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry(auto_describe=True)

DELIVERIES = Counter(
    "transmission_deliveries",
    "Delivery attempts by platform and outcome (sent, retry, failed, gone, moved).",
    ["platform", "outcome"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "transmission_rate_limited", "429 answers received, by platform.", ["platform"], registry=REGISTRY
)
RETRIES = Counter(
    "transmission_retries", "Deliveries rescheduled after a failure.", ["platform"], registry=REGISTRY
)
QUEUE_DEPTH = Gauge(
    "transmission_queue_depth",
    "Deliveries pending or in flight, by platform.",
    ["platform"],
    registry=REGISTRY,
)
DISABLED_DESTINATIONS = Gauge(
    "transmission_disabled_destinations",
    "Destinations disabled (blocked, kicked, unsubscribed).",
    ["platform"],
    registry=REGISTRY,
)
SCAN_SECONDS = Gauge("transmission_scan_duration_seconds", "Duration of the last scan.", registry=REGISTRY)
LAST_SCAN = Gauge(
    "transmission_last_scan_timestamp_seconds", "When the last scan finished.", registry=REGISTRY
)
POSTS_INDEXED = Gauge("transmission_posts_indexed", "Valid posts in the store.", registry=REGISTRY)
INVALID_POSTS = Gauge("transmission_invalid_posts", "Post files refused by the last scan.", registry=REGISTRY)
PAID_SENDS = Counter(
    "transmission_paid_sends",
    "Sends that carried allow_paid_broadcast and were accepted (0.1 Star each), by platform.",
    ["platform"],
    registry=REGISTRY,
)
PAID_STARS_TODAY = Gauge(
    "transmission_paid_stars_today",
    "Stars spent on paid broadcasts today (UTC), as counted in the database, by platform.",
    ["platform"],
    registry=REGISTRY,
)
LEADER = Gauge("transmission_leader", "1 when this replica is the leader.", registry=REGISTRY)


def record_outcome(platform: str, status: str, rate_limited: bool) -> None:
    """Count one delivery outcome."""
    DELIVERIES.labels(platform, status).inc()
    if status == "retry":
        RETRIES.labels(platform).inc()
    if rate_limited:
        RATE_LIMITED.labels(platform).inc()
