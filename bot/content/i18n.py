"""The few fixed phrases the bot says, in Chinese and English."""

from __future__ import annotations

from bot.content.models import Lang

_MESSAGES: dict[str, dict[Lang, str]] = {
    "banner": {"zh": "INCOMING TRANSMISSION", "en": "INCOMING TRANSMISSION"},
    "latest": {"zh": "LATEST UPDATES", "en": "LATEST UPDATES"},
    "read_more": {"zh": "阅读全文 →", "en": "Read more →"},
    # A post with no link (no SITE_URL): the command that opens it in the chat instead.
    "open_in_chat": {"zh": "在这里阅读：", "en": "Read it here: "},
    "page_of": {"zh": "第 {page}/{pages} 页 · 共 {total} 篇", "en": "Page {page}/{pages} · {total} posts"},
    "more_posts": {
        "zh": "……还有 {more} 篇，发送 /latest 查看",
        "en": "…and {more} more, send /latest to see them",
    },
    # The same for a webhook, which has no /latest to point at.
    "more_posts_here": {"zh": "……还有 {more} 篇", "en": "…and {more} more"},
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
    "schedule_missing_time": {
        "zh": "缺少时间。例如 /subscribe digest 09:30 Asia/Shanghai",
        "en": "The time is missing. E.g. /subscribe digest 09:30 Europe/Berlin",
    },
    "schedule_unexpected": {
        "zh": "看不懂时区后面的 “{extra}”。例如 /subscribe digest 09:30 Asia/Shanghai",
        "en": "Unexpected “{extra}” after the time zone. E.g. /subscribe digest 09:30 Europe/Berlin",
    },
    "schedule_unknown_zone": {
        "zh": "不认识时区 “{zone}”。请用 IANA 时区名（如 Asia/Shanghai、UTC），"
        "例如 /subscribe digest 09:30 Asia/Shanghai",
        "en": "Unknown time zone “{zone}”. Use an IANA name (such as Europe/Berlin or UTC), "
        "e.g. /subscribe digest 09:30 Europe/Berlin",
    },
    "schedule_bad_time": {
        "zh": "时间 “{time}” 不对：请用 24 小时制的 HH:MM。例如 /subscribe digest 09:30 Asia/Shanghai",
        "en": "The time “{time}” is not valid: use 24-hour HH:MM. E.g. /subscribe digest 09:30 Europe/Berlin",
    },
    "schedule_bad_cron": {
        "zh": "“{cron}” 不是有效的 cron 表达式（五项：分 时 日 月 周）。"
        "例如 /subscribe digest 0 9 * * 1 Asia/Shanghai，或用 HH:MM：/subscribe digest 09:30",
        "en": "“{cron}” is not a valid cron expression (five fields: minute hour day month weekday). "
        "E.g. /subscribe digest 0 9 * * 1 Europe/Berlin, or HH:MM: /subscribe digest 09:30",
    },
    "schedule_too_frequent": {
        "zh": "“{schedule}” 太频繁了：摘要最多每小时一次。"
        "例如 /subscribe digest 09:30（每天一次）或 /subscribe digest 0 */6 * * *（每 6 小时）。"
        "想每篇文章都收到，请直接发送 /subscribe。",
        "en": "“{schedule}” is too frequent: a digest comes at most once an hour. "
        "E.g. /subscribe digest 09:30 (daily) or /subscribe digest 0 */6 * * * (every 6 hours). "
        "To get every post as it comes, send /subscribe.",
    },
    "unsubscribed": {"zh": "已取消订阅。", "en": "Unsubscribed."},
    "not_subscribed": {
        "zh": "这里还没有订阅。发送 /subscribe 订阅。",
        "en": "This chat is not subscribed. Send /subscribe.",
    },
    "settings_title": {"zh": "本聊天的订阅", "en": "This chat's subscription"},
    "settings_usage": {
        "zh": "用法：/settings silent on|off language zh|en full on|off（可只写一项；full on 发送全文）",
        "en": "Usage: /settings silent on|off language zh|en full on|off "
        "(any of them; full on sends whole posts)",
    },
    "mode_instant": {"zh": "即时推送", "en": "instant"},
    "mode_digest": {"zh": "摘要 {schedule}（{tz}）", "en": "digest {schedule} ({tz})"},
    "all_categories": {"zh": "全部", "en": "all"},
    "on": {"zh": "开", "en": "on"},
    "off": {"zh": "关", "en": "off"},
    "setting_mode": {"zh": "方式：{value}", "en": "mode: {value}"},
    "setting_categories": {"zh": "分类：{value}", "en": "categories: {value}"},
    "setting_silent": {"zh": "静默（silent）：{value}", "en": "silent: {value}"},
    "setting_language": {"zh": "语言（language）：{value}", "en": "language: {value}"},
    "setting_full": {"zh": "发送全文（full）：{value}", "en": "whole posts (full): {value}"},
    "edited": {"zh": "已更新", "en": "edited"},
    "indexing": {
        "zh": "正在建立文章索引，已读 {count} 篇，请稍后再试。",
        "en": "Indexing the posts: {count} read so far. Please try again in a moment.",
    },
    "internal_error": {
        "zh": "出错了，这条命令没能完成。请稍后再试。",
        "en": "Something went wrong and the command did not finish. Please try again later.",
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
    # Reading whole posts in chat.
    "read_button": {"zh": "📖 阅读全文", "en": "📖 Read"},
    "read_in_private": {
        "zh": "全文会发到与机器人的私聊，不会刷屏本群。",
        "en": "The whole post goes to your private chat with the bot, not to this group.",
    },
    "read_private_button": {"zh": "📖 在私聊中阅读", "en": "📖 Read in private chat"},
    "part_of": {"zh": "（{part}/{parts}）", "en": " ({part}/{parts})"},
    "stale_search": {
        "zh": "这次搜索已过期，请重新发送 /search。",
        "en": "This search has expired; send /search again.",
    },
    "post_gone": {
        "zh": "这篇文章已不存在或尚未发布。发送 /latest 查看最新文章。",
        "en": "That post is gone or not published yet. Send /latest for the newest.",
    },
    "full_usage": {
        "zh": "用法：/post <slug> full —— 在聊天里阅读全文。",
        "en": "Usage: /post <slug> full — read the whole post in the chat.",
    },
    "rebroadcast": {
        "zh": "已重新发送 “{title}” 到 {count} 个目的地。",
        "en": "Re-sending “{title}” to {count} destinations.",
    },
    "status_line": {
        "zh": "队列 {queue}，已发送 {sent}，失败 {failed}，重试中 {retrying}",
        "en": "queue {queue}, sent {sent}, failed {failed}, retrying {retrying}",
    },
    # A whole post read in chat (bot/content/full): the link to the original, an image without alt
    # text, the part number, and the note under a post too long to send whole.
    "full_original": {"zh": "原文", "en": "Original"},
    "full_image": {"zh": "图片", "en": "image"},
    "full_part": {"zh": "({part}/{parts})", "en": "({part}/{parts})"},
    "full_truncated": {
        "zh": "全文太长，聊天里只发送了前面的部分，其余请看原文。",
        "en": "The post is too long for chat: only its beginning was sent. Read the rest in the original.",
    },
    "full_truncated_here": {
        "zh": "全文太长，聊天里只发送了前面的部分。",
        "en": "The post is too long for chat: only its beginning was sent.",
    },
}


def t(key: str, lang: Lang, **values: object) -> str:
    """Return the phrase `key` in `lang`, with `values` filled in."""
    return _MESSAGES[key][lang].format(**values)
