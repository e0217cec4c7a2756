"""Files nobody vetted: every renderer gives bounded, valid output quickly, whatever the body holds.

The bodies are the ones the excerpt is held to (tests/content/test_hostile.py), plus a 1 MB post.
"""

from __future__ import annotations

import time

import pytest

from bench.render_bench import full_post, math_post
from bot.content.full import measure_rich, render_classic, render_discord, render_plain, render_rich
from tests.content.full.support import check_rich, post
from tests.content.test_hostile import BODIES
from tests.fakes.telegram_html import check_message_text
from tests.fakes.telegram_rich import check_rich_html

# CPU seconds for all four renderers together: ~0.5 s is the worst seen; this catches a pattern
# going quadratic again without failing on a busy machine.
CPU_BOUND = 5.0


@pytest.mark.parametrize("name", sorted(BODIES))
def test_hostile_bodies_render_quickly_and_validly(name):
    full = post(BODIES[name])
    started = time.process_time()
    rich, classic = render_rich(full), render_classic(full)
    discord, plain = render_discord(full), render_plain(full)
    assert time.process_time() - started < CPU_BOUND
    for part in rich:
        check_rich(part)
        check_rich_html(part)
        assert measure_rich(part).fits()
    for part in classic:
        check_message_text(part)
    assert all(len(part) <= 2000 for part in discord)
    assert plain and "\ue000" not in plain


def test_a_1_mb_post_renders_well_under_a_second():
    full = full_post(math_post(1_000_000))
    started = time.process_time()
    parts = render_rich(full)
    assert time.process_time() - started < 1.0
    assert len(parts) > 1 and parts[-1].endswith("</a></p>")  # cut at 200,000 characters, and says so
