"""Docker HEALTHCHECK: exit 0 when /healthz answers 200 (python:slim has no curl)."""

import os
import sys
import urllib.request

port = os.environ.get("HTTP_PORT", "8080")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:  # any failure is "unhealthy"
    sys.exit(1)
