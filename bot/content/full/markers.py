"""The private-use markers that stand for code, formulas, images and links while Markdown runs."""

from __future__ import annotations

import re

OPEN, CLOSE = "\ue000", "\ue001"  # an atom: OPEN index CLOSE
LINK_OPEN, LINK_END = "\ue002", "\ue003"  # a link: LINK_OPEN index CLOSE text LINK_END
MARKER = re.compile("\ue000(\\d+)\ue001|\ue002(\\d+)\ue001|\ue003")
MARKER_CHARS = re.compile("[\ue000-\ue004]")  # a post can't be allowed to forge markers
