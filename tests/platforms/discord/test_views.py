"""The rendered components as discord.py sends them: the same rows, in the same order, as rendered."""

from bot.content.models import LatestPage, SearchResults
from bot.content.render.discord import DiscordMessage, render_view
from bot.platforms.discord.views import OpenMenu, PageButton, ReadButton, SearchButton, view_of
from tests.content.render.samples import item


def rows(message: DiscordMessage) -> tuple[list[list[str]], list[list[str]]]:
    """The custom_ids row by row: as rendered, and as discord.py's view would send them."""
    view = view_of(message)
    assert view is not None
    sent = [[c["custom_id"] for c in row["components"]] for row in view.to_components()]
    rendered = [[c["custom_id"] for c in row["components"]] for row in message.to_api()["components"]]
    return rendered, sent


def test_a_list_sends_its_menu_above_its_page_buttons() -> None:
    items = tuple(item(slug=f"p{i}", post_id=i + 1) for i in range(5))
    rendered, sent = rows(render_view(LatestPage(items, 1, 2, 10)))
    assert sent == rendered == [["open:latest:1"], ["latest:1", "latest:2", "latest:2:next"]]
    view = view_of(render_view(LatestPage(items, 1, 2, 10)))
    assert [type(child) for child in view.children] == [OpenMenu, PageButton, PageButton, PageButton]


def test_search_buttons_and_the_read_button_are_their_own_kinds() -> None:
    found = SearchResults("a:b", (item(post_id=3),), 9, page=1, pages=2)
    rendered, sent = rows(render_view(found))
    assert sent == rendered == [["open:search:1"], ["search:1:a:b", "search:2:a:b", "search:2n:a:b"]]
    assert {type(child) for child in view_of(render_view(found)).children} == {OpenMenu, SearchButton}
    rendered, sent = rows(render_view(item(post_id=3)))
    assert sent == rendered == [["read:3"]]
    assert [type(child) for child in view_of(render_view(item(post_id=3))).children] == [ReadButton]


def test_nothing_stored_sends_no_components() -> None:
    assert view_of(render_view(item())) is None
