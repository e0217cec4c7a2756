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
    "not_admin": {
        "zh": "只有本聊天的管理员可以修改订阅。",
        "en": "Only an admin of this chat can change its subscription.",
    },
    "subscribed": {
        "zh": "已订阅：新文章会发到这里。",
        "en": "Subscribed: new posts will arrive here.",
    },
    "subscribed_categories": {
        "zh": "已订阅：只发送这些分类的新文章：{categories}。",
        "en": "Subscribed: new posts in {categories} will arrive here.",
    },
    "subscribed_digest": {
        "zh": "已订阅摘要：按 {schedule}（{tz}）发送一次 LATEST UPDATES。",
        "en": "Subscribed to a digest: one LATEST UPDATES message at {schedule} ({tz}).",
    },
    "unknown_category": {
        "zh": "没有分类 “{category}”。可用分类：{known}",
        "en": "There is no category “{category}”. Categories: {known}",
    },
    "bad_schedule": {
        "zh": "时间格式不对：{reason}。例如 /subscribe digest 09:30 Asia/Shanghai",
        "en": "Bad schedule: {reason}. E.g. /subscribe digest 09:30 Europe/Berlin",
    },
    "unsubscribed": {"zh": "已取消订阅。", "en": "Unsubscribed."},
    "not_subscribed": {
        "zh": "这里还没有订阅。发送 /subscribe 订阅。",
        "en": "This chat is not subscribed. Send /subscribe.",
    },
    "settings_title": {"zh": "本聊天的订阅", "en": "This chat's subscription"},
    "settings_usage": {
        "zh": "用法：/settings silent on|off 或 /settings language zh|en",
        "en": "Usage: /settings silent on|off or /settings language zh|en",
    },
    "settings_saved": {"zh": "设置已保存。", "en": "Settings saved."},
    "start": {
        "zh": "📡 INCOMING TRANSMISSION：博客的新文章会自动发到订阅的聊天。"
        "私聊里发送 /subscribe 订阅；群组和频道由管理员订阅。",
        "en": "📡 INCOMING TRANSMISSION: new blog posts arrive in subscribed chats. "
        "Send /subscribe here to subscribe; in groups and channels an admin subscribes.",
    },
    "owners_only": {
        "zh": "这个命令只有机器人的管理者可以用。",
        "en": "Only the bot's owners can use this command.",
    },
    "channel_not_found": {
        "zh": "找不到频道 {channel}，或机器人还不是它的管理员。",
        "en": "Can't find {channel}, or the bot is not an admin there yet.",
    },
    "stale_button": {
        "zh": "这个按钮已经失效，请重新发送 /latest。",
        "en": "This button has expired; send /latest again.",
    },
    "slow_down": {"zh": "操作太快了，请稍后再试。", "en": "Too fast; please try again in a moment."},
    "rebroadcast": {
        "zh": "已重新发送 “{title}” 到 {count} 个目的地。",
        "en": "Re-sending “{title}” to {count} destinations.",
    },
    "status_line": {
        "zh": "队列 {queue}，已发送 {sent}，失败 {failed}，重试中 {retrying}",
        "en": "queue {queue}, sent {sent}, failed {failed}, retrying {retrying}",
    },
}


def t(key: str, lang: Lang, **values: object) -> str:
    """Return the phrase `key` in `lang`, with `values` filled in."""
    return _MESSAGES[key][lang].format(**values)
