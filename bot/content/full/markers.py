"""The private-use markers that stand for code, formulas, images and links while Markdown runs.

Each marker starts with GUARD, a character nothing needs: Python-Markdown's emphasis processor
drops the character after a malformed `**a*`, and what it drops then is the guard, not the marker.
"""

from __future__ import annotations

import re

GUARD = "\ue005"
OPEN, CLOSE = GUARD + "\ue000", "\ue001"  # an atom: OPEN index CLOSE
LINK_OPEN, LINK_END = GUARD + "\ue002", GUARD + "\ue003"  # a link: LINK_OPEN index CLOSE text LINK_END
MARKER = re.compile("\ue005?(?:\ue000(\\d+)\ue001|\ue002(\\d+)\ue001|\ue003)")
MARKER_CHARS = re.compile("[\ue000-\ue005]")  # a post can't be allowed to forge markers
STRAY = re.compile("\\d*\ue001|[\ue000-\ue005]")  # what is left of a marker Markdown broke anyway
