"""The three body shapes (golden JSON), their limits over arbitrary text, and the signatures.

`UPDATE_GOLDEN=1 pytest tests/platforms/webhook` rewrites the golden files after a deliberate change.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.models import LatestPage, Notice, Transmission
from bot.content.render.webhook import (
    FEISHU_BYTES,
    SLACK_HEADER,
    SLACK_TEXT,
    deleted,
    encode,
    render,
    render_feishu,
    render_slack,
)
from bot.platforms.webhook.sender import feishu_sign, signature
from tests.platforms.webhook.receiver import valid_feishu_sign, valid_signature

GOLDEN = Path(__file__).parent / "golden"
README = Path(__file__).resolve().parents[3] / "README.md"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ITEM = Transmission(
    "diffusion-notes",
    "扩散模型 <笔记> & @everyone",
    "生成模型",
    datetime(2026, 11, 20, 20, 30, tzinfo=UTC),
    "从噪声到图像：x² 的一步推导，[代码] 略。",
    "https://blog.example.org/posts/diffusion-notes?a=1&b=|2",
    image="https://blog.example.org/cover.png",
)
NO_LINK = Transmission(
    "notes",
    "Notes *not bold* <!channel>",
    "ML",
    datetime(2026, 11, 2, tzinfo=UTC),
    "An excerpt.",
    "",
    lang="en",
)
PAGE = LatestPage((ITEM, NO_LINK), 1, 1, 5, "zh", per_page=2, more=3)
BODIES = {
    "json_post": render(ITEM, "json"),
    "json_edited": render(replace(NO_LINK, edited=True), "json"),
    "json_digest": render(PAGE, "json"),
    "json_deleted": deleted("diffusion-notes"),
    "slack_post": render(ITEM, "slack", SHANGHAI),
    "slack_post_without_link": render(NO_LINK, "slack", SHANGHAI),
    "slack_digest": render(PAGE, "slack", SHANGHAI),
    "feishu_post": render(ITEM, "feishu", SHANGHAI),
    "feishu_digest": render(PAGE, "feishu", SHANGHAI),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_bodies_have_the_documented_shape(name):
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(BODIES[name], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == BODIES[name]


def test_every_golden_file_is_checked():
    assert {path.stem for path in GOLDEN.glob("*.json")} == set(BODIES)


def test_other_replies_are_plain_text():
    notice = Notice("hello <world>", "en")
    assert render(notice, "json") == {"event": "notice", "version": 1, "text": "hello <world>"}
    assert render(notice, "slack") == {"text": "hello &lt;world&gt;"}
    assert render(notice, "feishu") == {"msg_type": "text", "content": {"text": "hello <world>"}}


def _slack_texts(body):
    for block in body["blocks"]:
        if "text" in block:
            yield block["type"], block["text"]["text"]
        for element in block.get("elements", []):
            yield element["type"], element["text"]


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=1500)
items = st.builds(
    Transmission,
    slug=st.text(min_size=1, max_size=40),
    title=text,
    category=text,
    published_at=st.datetimes(timezones=st.just(UTC)),
    excerpt=text,
    url=st.one_of(st.just(""), st.just("https://b.example/p?x=<y>|z"), text),
    lang=st.sampled_from(["zh", "en"]),
    edited=st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=items, more=st.integers(0, 500), count=st.integers(0, 10))
def test_any_text_fits_slack_and_feishu(item, more, count):
    page = LatestPage((item,) * count, 1, 1, count + more, item.lang, per_page=max(count, 1), more=more)
    for view in (item, page):
        slack = render_slack(view)
        assert len(slack["blocks"]) <= 50
        for kind, value in _slack_texts(slack):
            assert value.strip()
            assert len(value) <= (SLACK_HEADER if kind == "header" else SLACK_TEXT)
        assert len(encode(render_feishu(view))) <= FEISHU_BYTES - 512
        assert json.loads(encode(render(view, "json")))


def test_signature_is_hmac_of_timestamp_dot_body_and_the_receiver_checks_it():
    body = encode(render(ITEM, "json"))
    signed = signature("s3cret-value", 1763812800, body)
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", signed)
    assert valid_signature("s3cret-value", body, "1763812800", signed, now=1763812800 + 10)
    assert not valid_signature("s3cret-value", body + b" ", "1763812800", signed, now=1763812800)
    assert not valid_signature(
        "s3cret-value", body, "1763812801", signed, now=1763812800
    )  # timestamp is signed
    assert not valid_signature("s3cret-value", body, "1763812800", signed, now=1763812800 + 301)  # a replay


def test_feishu_sign_follows_feishus_algorithm():
    # Feishu's documented check: HmacSHA256 keyed with "timestamp\nsecret" over an empty message, base64.
    expected = hmac.new(b"1599360473\ndemo", b"", hashlib.sha256).digest()
    assert feishu_sign("demo", 1599360473) == base64.b64encode(expected).decode()
    body = {"timestamp": "1599360473", "sign": feishu_sign("demo", 1599360473)}
    assert valid_feishu_sign("demo", body, now=1599360473 + 60)


def test_the_readme_example_verifies_a_signed_request():
    """The README's receiver snippet, run as written, accepts our signature and refuses a forgery."""
    readme = README.read_text(encoding="utf-8")
    [snippet] = re.findall(r"<!-- webhook-verify -->\s*```python\n(.*?)```", readme, re.S)
    namespace: dict = {}
    exec(snippet, namespace)
    verified = namespace["verified"]
    body, now = encode(render(ITEM, "json")), int(time.time())
    good = signature("s3cret-value", now, body)
    assert verified("s3cret-value", body, str(now), good)
    assert not verified("s3cret-value", body.replace(b"post", b"p0st"), str(now), good)
    assert not verified("s3cret-value", body, str(now - 600), signature("s3cret-value", now - 600, body))
