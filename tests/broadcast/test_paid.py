"""Paid broadcasts in the pacer and in `choose`: free first, paid above the free limit, within budget."""

from datetime import UTC, datetime, timedelta

from bot.broadcast.decide import choose
from bot.broadcast.pacing import Limits, Pacer, Window
from bot.broadcast.paid import PaidBudget, PaidPolicy, day_of, stars
from bot.broadcast.rows import Due, Payload
from bot.store.states import DeliveryKind, DestinationKind

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
T = NOW.timestamp()


def row(n: int, kind: DeliveryKind = DeliveryKind.POST, post: int = 7, full: bool = False) -> Due:
    payload = Payload()
    return Due(n, kind, post, 1, payload, 0, n, str(n), "", False, DestinationKind.PRIVATE, None, full)


def setup(stars_a_day: float = 100.0, per_second: int = 1000, min_queue: int = 0) -> tuple[Pacer, PaidBudget]:
    policy = PaidPolicy(per_second=per_second, daily_stars=stars_a_day, min_queue=min_queue)
    pacer = Pacer(Limits(overall=Window(30, 1.0), per_chat=Window(1, 1.0), paid=policy))
    budget = PaidBudget(policy)
    budget.roll(NOW)
    budget.learn(0)
    return pacer, budget


def answer(pacer: Pacer, jobs, at: float) -> None:
    for job in jobs:
        pacer.settle(job.target.chat_id, job.pacing_handle, at)


def test_the_free_window_goes_first_then_paid_sends_once_the_free_ones_are_answered():
    pacer, budget = setup()
    queue = [row(n) for n in range(1, 301)]
    first = choose(queue, 1000, set(), pacer, T, "zh", budget)
    assert len(first.jobs) == 30 and not any(j.target.paid for j in first.jobs)
    assert first.next_time is not None and first.next_time <= T + 0.1  # for the answers, not a second
    answer(pacer, first.jobs, T + 0.01)
    second = choose(queue[30:], 1000, set(), pacer, T + 0.01, "zh", budget)
    assert len(second.jobs) == 270 and all(j.target.paid for j in second.jobs)
    assert budget.pending() == 270


def test_all_sends_together_stay_under_the_paid_rate():
    pacer, budget = setup(per_second=100)
    queue = [row(n) for n in range(1, 501)]
    first = choose(queue, 1000, set(), pacer, T, "zh", budget)
    answer(pacer, first.jobs, T)
    second = choose(queue[30:], 1000, set(), pacer, T, "zh", budget)
    assert len(first.jobs) + len(second.jobs) == 100
    answer(pacer, second.jobs, T)
    later = T + 1.02  # the window is empty again: free ones first, then paid up to the rate
    third = choose(queue[100:], 1000, set(), pacer, later, "zh", budget)
    answer(pacer, third.jobs, later)
    fourth = choose(queue[130:], 1000, set(), pacer, later, "zh", budget)
    assert [len(third.jobs), len(fourth.jobs)] == [30, 70] and all(j.target.paid for j in fourth.jobs)


def test_the_budget_caps_paid_sends_and_nothing_goes_free_above_the_limit():
    pacer, budget = setup(stars_a_day=5.0)  # 50 paid sends a day
    queue = [row(n) for n in range(1, 201)]
    answer(pacer, choose(queue, 1000, set(), pacer, T, "zh", budget).jobs, T)
    paid = choose(queue[30:], 1000, set(), pacer, T, "zh", budget)
    assert len(paid.jobs) == 50 and budget.left(T) == 0
    assert paid.next_time is not None and paid.next_time > T  # the rest waits for the free window


def test_while_paying_every_payable_send_pays_and_the_rest_waits_for_the_free_window():
    pacer, budget = setup()
    queue = [row(n) for n in range(1, 41)]
    answer(pacer, choose(queue, 1000, set(), pacer, T, "zh", budget).jobs, T)
    paid = choose(queue[30:], 1000, set(), pacer, T, "zh", budget)
    answer(pacer, paid.jobs, T + 0.1)
    later = T + 0.5  # the free window still holds the paid sends: free ones would race them
    edit = row(99, DeliveryKind.EDIT)
    picked = choose([row(50), edit], 1000, set(), pacer, later, "zh", budget)
    assert [j.target.paid for j in picked.jobs] == [True] and picked.waiting == [edit]
    answer(pacer, picked.jobs, later)
    free_again = choose([row(60)], 1000, set(), pacer, later + 1.1, "zh", budget)
    assert [j.target.paid for j in free_again.jobs] == [False]


def test_per_chat_limits_hold_for_paid_sends():
    pacer, budget = setup()
    answer(pacer, choose([row(n) for n in range(1, 31)], 1000, set(), pacer, T, "zh", budget).jobs, T)
    again = choose([row(1), row(2)], 1000, set(), pacer, T + 0.5, "zh", budget)  # chats 1 and 2 had one
    assert again.jobs == [] and again.next_time is not None and again.next_time > T + 1


def test_whole_posts_edits_and_deletes_never_pay():
    _, budget = setup()
    assert budget.may_pay(row(1), T)
    assert budget.may_pay(row(2, DeliveryKind.DIGEST), T)
    assert not budget.may_pay(row(3, full=True), T)
    assert not budget.may_pay(row(4, DeliveryKind.EDIT), T)
    assert not budget.may_pay(row(5, DeliveryKind.DELETE), T)


def test_auto_mode_pays_only_for_queues_over_the_threshold():
    _, budget = setup(min_queue=1000)
    assert not budget.may_pay(row(1, post=7), T)
    budget.large = frozenset({7})
    assert budget.may_pay(row(1, post=7), T) and not budget.may_pay(row(2, post=8), T)
    assert not budget.may_pay(row(3, DeliveryKind.DIGEST), T)
    budget.large_pages = True
    assert budget.may_pay(row(3, DeliveryKind.DIGEST), T)


def test_the_budget_starts_again_each_utc_day_from_what_the_database_says():
    _, budget = setup(stars_a_day=1.0)
    for _ in range(10):
        budget.take()
    assert budget.left(T) == 0 and budget.pending() == 10
    budget.give_back(3)
    assert budget.left(T) == 3
    budget.written(7, 7)
    assert budget.pending() == 0 and budget.left(T) == 3
    budget.roll(NOW + timedelta(days=1))
    assert budget.left(T) == 0, "unknown until the database is read for the new day"
    budget.learn(4)
    assert budget.left(T) == 6 and budget.day == day_of(NOW + timedelta(days=1))


def test_a_pause_stops_paying_until_it_ends():
    _, budget = setup()
    budget.pause(T + 60)
    assert budget.paused(T) and budget.left(T) == 0 and not budget.may_pay(row(1), T)
    assert budget.left(T + 61) == 1000


def test_stars_and_messages():
    assert PaidPolicy(1000, 12.35).daily_messages == 123
    assert stars(1234) == 123.4


def test_refunds_that_come_while_the_count_is_written_are_kept():
    _, budget = setup(stars_a_day=10.0)  # 100
    for _ in range(10):
        budget.take()
    delta = budget.pending()
    budget.give_back(2)  # two sends fail while the claim's transaction writes the 10
    budget.written(10, delta)
    assert budget.pending() == -2 and budget.left(T) == 92


def test_paid_settings_make_the_telegram_limits_and_concurrency(monkeypatch):
    from bot.platforms import registry
    from bot.settings import PAID_CONCURRENCY, load_settings

    monkeypatch.delenv("SEND_CONCURRENCY", raising=False)
    off = load_settings(_env_file=None)
    assert registry.spec_for("telegram").limits(off).paid is None and off.concurrency_for("telegram") == 8
    auto = load_settings(
        _env_file=None,
        telegram_paid_broadcast="auto",
        telegram_paid_daily_stars=12.5,
        telegram_paid_per_s=500,
    )
    policy = registry.spec_for("telegram").limits(auto).paid
    assert (
        policy == PaidPolicy(per_second=500, daily_stars=12.5, min_queue=1000)
        and policy.daily_messages == 125
    )
    assert auto.concurrency_for("telegram") == PAID_CONCURRENCY and auto.concurrency_for("discord") == 8
    assert registry.spec_for("discord").limits(auto).paid is None
    chosen = load_settings(
        _env_file=None, telegram_paid_broadcast="on", telegram_paid_daily_stars=1, send_concurrency=4
    )
    assert chosen.concurrency_for("telegram") == 4
    assert registry.spec_for("telegram").limits(chosen).paid.min_queue == 0
