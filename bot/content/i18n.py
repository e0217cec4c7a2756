"""The few fixed phrases the bot says, in Chinese and English."""

from __future__ import annotations

from bot.content.models import Lang

_MESSAGES: dict[str, dict[Lang, str]] = {
    "banner": {"zh": "INCOMING TRANSMISSION", "en": "INCOMING TRANSMISSION"},
    "latest": {"zh": "LATEST UPDATES", "en": "LATEST UPDATES"},
    "read_more": {"zh": "阅读全文 →", "en": "Read more →"},
    "page_of": {"zh": "第 {page}/{pages} 页 · 共 {total} 篇", "en": "Page {page}/{pages} · {total} posts"},
    "more_posts": {
        "zh": "……还有 {more} 篇，发送 /latest 查看",
        "en": "…and {more} more, send /latest to see them",
    },
    "no_posts": {"zh": "还没有已发布的文章。", "en": "No posts have been published yet."},
    "no_such_page": {
        "zh": "没有第 {page} 页：共 {pages} 页。",
        "en": "There is no page {page}: there are {pages} pages.",
    },
    "bad_page": {
        "zh": "页码必须是正整数，例如 /latest 2。",
        "en": "The page must be a positive whole number, e.g. /latest 2.",
    },
    "no_such_post": {
        "zh": "找不到文章 “{slug}”。用 /latest 或 /search 查找。",
        "en": "No post called “{slug}”. Try /latest or /search.",
    },
    "post_usage": {"zh": "用法：/post <slug>", "en": "Usage: /post <slug>"},
    "search_usage": {"zh": "用法：/search <关键词>", "en": "Usage: /search <words>"},
    "categories": {"zh": "分类", "en": "Categories"},
    "no_categories": {"zh": "还没有分类。", "en": "No categories yet."},
    "search_results": {
        "zh": "搜索 “{query}”：{total} 条结果",
        "en": "Search “{query}”: {total} results",
    },
    "search_none": {"zh": "没有找到与 “{query}” 相关的文章。", "en": "Nothing found for “{query}”."},
    "search_more": {"zh": "只显示前 {shown} 条。", "en": "Showing the first {shown}."},
    "unknown_command": {
        "zh": "未知命令 /{command}。发送 /help 查看可用命令。",
        "en": "Unknown command /{command}. Send /help for the list.",
    },
    "help_title": {"zh": "可用命令", "en": "Commands"},
    "posts_count": {"zh": "{count} 篇", "en": "{count} posts"},
}


def t(key: str, lang: Lang, **values: object) -> str:
    """Return the phrase `key` in `lang`, with `values` filled in."""
    return _MESSAGES[key][lang].format(**values)
