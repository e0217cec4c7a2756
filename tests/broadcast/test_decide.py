"""The dispatcher's decisions alone: what goes next and what a failure means, without a database."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.broadcast.decide import (
    Job,
    Retries,
    Verdict,
    choose,
    classify,
    crashed,
    destination_language,
    shown,
)
from bot.broadcast.pacing import TELEGRAM_LIMITS, Limits, Pacer, Window
from bot.broadcast.rows import Due, NewDelivery, Payload
from bot.broadcast.sender import BadMessage, DestinationGone, DestinationMoved, RetryAfter, RetryLater, Target
from bot.content.models import LatestPage, Transmission
from bot.store.states import DeliveryKind, DeliveryStatus, DestinationKind

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
T = NOW.timestamp()
NO_PAYLOAD = Payload()
_ids = iter(range(1, 1_000_000))


def due(
    destination: int = 1,
    chat: str = "",
    kind: DeliveryKind = DeliveryKind.POST,
    payload: Payload = NO_PAYLOAD,
    language: str | None = None,
    attempts: int = 0,
    destination_kind: DestinationKind = DestinationKind.PRIVATE,
) -> Due:
    chat = chat or str(destination)
    return Due(
        next(_ids), kind, 7, 1, payload, attempts, destination, chat, "", False, destination_kind, language
    )


def job(row: Due | None = None, attempt: int = 1, **options) -> Job:
    row = row or due(**options)
    return Job(row, Target(row.chat_id), attempt, 0, destination_language(row.language), "zh")


def pick(queue, free=10, busy=(), pacer=None, default="zh"):
    return choose(queue, free, set(busy), pacer or Pacer(TELEGRAM_LIMITS), T, default)


# --- choosing -----------------------------------------------------------------------------------


def test_oldest_first_up_to_the_free_senders():
    queue = [due(d) for d in range(1, 6)]
    choice = pick(queue, free=3)
    assert [j.due for j in choice.jobs] == queue[:3]
    assert choice.looked == 3 and choice.waiting == [] and choice.next_time is None
    assert [j.attempt for j in choice.jobs] == [1, 1, 1]


def test_one_message_at_a_time_per_destination_keeps_its_order():
    first, second, other = due(1), due(1), due(2)
    choice = pick([first, second, other])
    assert [j.due for j in choice.jobs] == [first, other]
    assert choice.waiting == [second] and choice.looked == 3


def test_a_destination_with_a_send_in_flight_waits():
    busy, free = due(1), due(2)
    choice = pick([busy, free], busy={1})
    assert [j.due for j in choice.jobs] == [free] and choice.waiting == [busy]


def test_a_chat_over_its_limit_waits_and_says_when_it_may_go():
    pacer = Pacer(TELEGRAM_LIMITS)
    pacer.record("1", False, T - 0.5)  # one message a second to a private chat
    held, other = due(1), due(2)
    choice = pick([held, other], pacer=pacer)
    assert [j.due for j in choice.jobs] == [other] and choice.waiting == [held]
    assert choice.next_time == pytest.approx(T + 0.5, abs=0.02)


def test_picks_are_recorded_so_two_topics_of_one_chat_are_paced_together():
    # Two destinations (topics) in one group chat: the second must wait for the first's second.
    a = due(1, chat="-100", destination_kind=DestinationKind.THREAD)
    b = due(2, chat="-100", destination_kind=DestinationKind.THREAD)
    choice = pick([a, b])
    assert [j.due for j in choice.jobs] == [a] and choice.waiting == [b]


def test_the_platform_wide_limit_spent_stops_the_look():
    pacer = Pacer(Limits(overall=Window(2, 1.0), per_chat=None))
    queue = [due(d) for d in range(1, 6)]
    choice = pick(queue, pacer=pacer)
    assert [j.due for j in choice.jobs] == queue[:2]
    assert choice.waiting == [queue[2]] and choice.looked == 3  # the rest were not even looked at


def test_an_edit_goes_to_the_chat_the_message_is_in():
    moved = due(1, chat="-200", kind=DeliveryKind.EDIT, payload=Payload.sent(["5"], "-100"))
    fresh = due(2, chat="-300", kind=DeliveryKind.POST, payload=Payload.sent(["5"], "-100"))
    [edit, post] = pick([moved, fresh]).jobs
    assert edit.target.chat_id == "-100" and post.target.chat_id == "-300"


@pytest.mark.parametrize(
    ("stored", "default", "language", "page"),
    [(None, "zh", None, "zh"), (None, "en", None, "en"), ("zh", "en", "zh", "zh"), ("en", "zh", "en", "en")],
)
def test_a_destination_language_wins_over_the_default(stored, default, language, page):
    [chosen] = pick([due(language=stored)], default=default).jobs
    assert (chosen.language, chosen.page_language) == (language, page)


def test_a_post_is_dressed_in_the_destination_language_and_an_edit_is_marked():
    english = Transmission("s", "Title", "Python", NOW, "text", "https://x/s", lang="en")
    assert shown(english, job(language="zh")).lang == "zh"
    assert shown(english, job()) is english  # no language chosen: the post's own, as it was
    assert shown(english, job(kind=DeliveryKind.EDIT)).edited
    page = LatestPage((), 1, 1, 0, "en")
    assert shown(page, job(language="zh")) is page  # pages are built in the page language


# --- failures -----------------------------------------------------------------------------------


def failure(exc, attempt=1, retries=None, **options):
    return classify(job(attempt=attempt, **options), exc, NOW, retries or Retries(), random.Random(1))


def test_retry_after_waits_as_asked_and_holds_the_chat_or_everything():
    outcome, hold = failure(RetryAfter(30))
    assert outcome.status is Verdict.RETRY and outcome.rate_limited
    assert outcome.next_attempt_at == NOW + timedelta(seconds=30)
    assert hold is not None and hold.until == NOW + timedelta(seconds=30) and not hold.everywhere
    assert failure(RetryAfter(5, everywhere=True)).hold.everywhere


def test_transient_failures_back_off_with_jitter_then_fail():
    retries = Retries(max_attempts=3, base=2.0, cap=600.0)
    first, _ = failure(RetryLater("503"), attempt=1, retries=retries)
    second, _ = failure(RetryLater("503"), attempt=2, retries=retries)
    assert first.status is Verdict.RETRY and NOW + timedelta(
        seconds=1
    ) <= first.next_attempt_at <= NOW + timedelta(seconds=2)
    assert NOW + timedelta(seconds=2) <= second.next_attempt_at <= NOW + timedelta(seconds=4)
    last, hold = failure(RetryLater("503"), attempt=3, retries=retries)
    assert (last.status, last.error, last.next_attempt_at, hold) == (Verdict.FAILED, "503", None, None)


def test_backoff_is_capped():
    outcome, _ = failure(RetryLater("timeout"), attempt=30, retries=Retries(max_attempts=99, cap=60.0))
    assert outcome.next_attempt_at <= NOW + timedelta(seconds=60)


def test_a_moved_chat_is_followed_at_once():
    outcome, _ = failure(DestinationMoved("-100999"))
    assert (outcome.status, outcome.new_chat_id, outcome.next_attempt_at) == (Verdict.MOVED, "-100999", NOW)


@pytest.mark.parametrize("kind", [DeliveryKind.EDIT, DeliveryKind.DELETE])
def test_an_edit_or_delete_of_a_message_left_in_a_moved_chat_fails_with_why(kind):
    outcome, _ = failure(DestinationMoved("-100999"), kind=kind, chat="-5")
    assert outcome.status is Verdict.MOVED_AWAY and outcome.new_chat_id == "-100999"
    assert outcome.error == "the message stays in chat -5, now -100999: it can't change"


def test_gone_disables_and_a_refused_message_fails():
    assert failure(DestinationGone("bot was blocked")).outcome.status is Verdict.GONE
    refused = failure(BadMessage("message is too long")).outcome
    assert (refused.status, refused.error, refused.next_attempt_at) == (
        Verdict.FAILED,
        "message is too long",
        None,
    )


def test_a_crash_keeps_the_row_for_a_minute_later():
    outcome = crashed(job(), ValueError("bug"), NOW)
    assert outcome.status is Verdict.RETRY and outcome.next_attempt_at == NOW + timedelta(seconds=60)
    assert "bug" in outcome.error


# --- rows ---------------------------------------------------------------------------------------


def test_payloads_read_back_what_they_wrote_and_what_older_rows_hold():
    for payload in (
        Payload(),
        Payload.sent(["1", "2"], "-100"),
        Payload.sent([], None),
        Payload.page([3, 2], 4),
    ):
        assert Payload.read(payload.to_json()) == payload
    assert Payload.read({"message_ids": [5], "chat_id": -100}) == Payload.sent(["5"], "-100")
    assert Payload.read({"post_ids": [1], "more": 0}) == Payload.page([1], 0)
    assert Payload.read(None) == Payload()
    assert Payload.page([1], -3).more == 0


def test_a_new_delivery_is_pending_now():
    values = NewDelivery(3, DeliveryKind.DIGEST, "digest:3:t", NOW, payload=Payload.page([1], 0)).values()
    assert values["status"] == DeliveryStatus.PENDING == "pending"
    assert values["next_attempt_at"] == values["created_at"] == NOW
    assert values["payload"] == {"post_ids": [1], "more": 0} and values["kind"] == "digest"
