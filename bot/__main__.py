"""`python -m bot`: the command line."""

import sys

from bot.cli import main

# The guard matters: parser processes (spawned for large scans) import this module too.
if __name__ == "__main__":
    sys.exit(main())
