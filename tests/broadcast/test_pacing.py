import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.broadcast.pacing import SAFETY, TELEGRAM_LIMITS, Limits, Pacer, Window, _Log


def test_per_chat_one_per_second_others_unaffected():
    pacer = Pacer(TELEGRAM_LIMITS)
    assert pacer.earliest("1", False, 100.0) == 100.0
    pacer.record("1", False, 100.0)
    assert pacer.earliest("1", False, 100.0) == 100.0 + SAFETY
    assert pacer.earliest("2", False, 100.0) == 100.0


def test_overall_limit_spreads_sends():
    pacer = Pacer(Limits(overall=Window(30, 1.0), per_chat=None))
    for i in range(30):
        assert pacer.earliest(str(i), False, 0.0) == 0.0
        pacer.record(str(i), False, 0.0)
    assert pacer.earliest("x", False, 0.0) == SAFETY
    assert pacer.overall_earliest(0.5) == SAFETY


def test_group_limit_twenty_per_minute():
    pacer = Pacer(TELEGRAM_LIMITS)
    t = 0.0
    for _ in range(20):
        t = pacer.earliest("-100", True, t)
        pacer.record("-100", True, t)
    assert t == pytest.approx(19 * SAFETY)
    assert pacer.earliest("-100", True, t) == pytest.approx(60 * SAFETY)


def test_block_and_pause():
    pacer = Pacer(TELEGRAM_LIMITS)
    pacer.block("1", 50.0)
    assert pacer.earliest("1", False, 10.0) == 50.0
    assert pacer.earliest("2", False, 10.0) == 10.0
    pacer.pause(20.0)
    assert pacer.earliest("2", False, 10.0) == 20.0


def test_a_new_leader_holds_every_send_for_one_window():
    pacer = Pacer(TELEGRAM_LIMITS)
    pacer.hold_for_others(100.0)
    assert pacer.earliest("1", False, 100.0) == pacer.overall_earliest(100.2) == 100.0 + SAFETY
    assert pacer.earliest("-100", True, 101.5) == 101.5  # then nothing more: group windows are not held
    unlimited = Pacer(Limits(overall=None, per_chat=None))
    unlimited.hold_for_others(100.0)
    assert unlimited.earliest("1", False, 100.0) == 100.0


def test_forget_idle_keeps_memory_flat():
    pacer = Pacer(TELEGRAM_LIMITS)
    for i in range(1000):
        pacer.record(str(i), False, 0.0)
    assert pacer.tracked_chats == 1000
    pacer.forget_idle(10.0)
    assert pacer.tracked_chats == 0


def test_fractional_rates_are_kept_not_truncated():
    from bot.broadcast.pacing import Window

    assert Window.per_second(30) == Window(30, 1.0)
    assert Window.per_second(2.5) == Window(1, 0.4)
    assert Window.rate(0.5, 60.0) == Window(1, 120.0)  # half a message a minute: one every two minutes


def test_platform_limits_come_from_the_registry_with_the_settings_rates():
    from bot.broadcast.pacing import Window
    from bot.platforms import registry
    from bot.settings import load_settings

    settings = load_settings(_env_file=None, telegram_chat_per_s=0.5, discord_global_per_s=45)
    assert registry.spec_for("telegram").limits(settings).per_chat == Window(1, 2.0)
    assert registry.spec_for("discord").limits(settings).overall == Window(45, 1.0)
    assert registry.spec_for("console").limits(settings).overall is None


class _SlowLog:
    """The obvious window: look at every send each time (what `_Log` must agree with)."""

    def __init__(self, window: Window) -> None:
        self.window, self.times = window, {}

    def earliest(self, at: float, now: float) -> float:
        span = self.window.seconds * SAFETY
        recent = sorted(t for t in self.times.values() if t > at - span)
        return at if len(recent) < self.window.limit else max(at, recent[-self.window.limit] + span)


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(1, 5),
    steps=st.lists(
        st.tuples(st.sampled_from(["record", "settle", "ask"]), st.floats(0, 0.6), st.floats(0, 2)),
        max_size=60,
    ),
)
def test_the_heap_window_agrees_with_looking_at_every_send(limit, steps):
    window = Window(limit, 1.0)
    fast, slow = _Log(window), _SlowLog(window)
    now, key = 100.0, 0
    for action, step, ahead in steps:
        now += step
        if action == "record":
            key += 1
            fast.record(key, now)
            slow.times[key] = now
        elif action == "settle" and key:
            fast.settle(key, now + ahead / 10)
            slow.times[key] = max(slow.times[key], now + ahead / 10)
        else:
            assert fast.earliest(now + ahead, now) == slow.earliest(now + ahead, now)
            assert fast.earliest(now, now) == slow.earliest(now, now)
