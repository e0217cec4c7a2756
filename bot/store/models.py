"""SQLAlchemy models: posts, slug history, files seen, destinations, deliveries (the outbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.store.states import DeliveryKind, DeliveryStatus, DestinationKind, DestinationMode, PostState

E = TypeVar("E", bound=StrEnum)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and always hand back aware UTC (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC on the way in; refuse naive values."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Hand back aware UTC whatever the database kept."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Choice(TypeDecorator[E], Generic[E]):
    """One of a `StrEnum`'s values, kept as the plain string (a VARCHAR, as before there were enums)."""

    impl = String(16)
    cache_ok = True

    def __init__(self, values: type[E]) -> None:
        super().__init__()
        self.values = values

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        """Store the string; a string that is no member is refused before it reaches the database."""
        return None if value is None else str(self.values(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        """Hand back the member (ValueError names a value this version does not know)."""
        return None if value is None else self.values(value)


# Search structures migration 0004 creates beside the models (SQLite's FTS5 table and its shadow
# tables, PostgreSQL's GIN and partial indexes): autogenerate and the schema test leave them be.
SEARCH_OBJECTS = frozenset(
    {
        "posts_search",
        "posts_search_data",
        "posts_search_idx",
        "posts_search_config",
        "posts_search_docsize",
        "posts_search_content",
        "posts_search_title",
        "posts_search_title_data",
        "posts_search_title_idx",
        "posts_search_title_config",
        "posts_search_title_docsize",
        "posts_search_title_content",
        "ix_posts_search_lexemes",
        "ix_posts_search_pending",
        "ix_posts_title_lexemes",
    }
)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Tell Alembic's comparison which database objects the models describe (not the search ones)."""
    return name not in SEARCH_OBJECTS


# Stable constraint names let Alembic migrations refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


TEXT_PENDING = text("search_text = '' AND body != ''")


class PostRow(Base):
    """A post as indexed; `state` says whether its file is still there, publication is derived from dates."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    source_path: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(200), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime] = mapped_column(index=True)
    excerpt: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Hash of what a transmission shows; a change bumps `version` and triggers edits.
    view_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[PostState] = mapped_column(Choice(PostState), default=PostState.ACTIVE)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When the post was announced (broadcast queued, or deliberately skipped); null = not yet.
    announced_at: Mapped[datetime | None] = mapped_column(index=True)
    # The Markdown after the front matter (the title heading dropped): what "read in chat" shows.
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The body as plain text (bot.content.search_text): what /search reads. Loaded only by search
    # and the indexer, so a page of /latest does not carry five copies of each post.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    # PostgreSQL: the post's search lexemes (bot.content.search_query.lexemes) under a GIN index,
    # null until the search index has caught up with the post. SQLite keeps its FTS5 table instead.
    search_lexemes: Mapped[str | None] = mapped_column(
        Text().with_variant(TSVECTOR(), "postgresql"), deferred=True
    )
    # PostgreSQL: the title's lexemes alone (bot.content.search_query.title_lexemes), filled with
    # search_lexemes: small enough to stay in the row, so ranking title hits never reads the body's.
    title_lexemes: Mapped[str | None] = mapped_column(
        Text().with_variant(TSVECTOR(), "postgresql"), deferred=True
    )

    __table_args__ = (
        Index("ix_posts_state_published", "state", "published_at"),
        # Pages of /latest and their count read only this index, not rows carrying whole bodies.
        Index("ix_posts_listing", "state", "draft", "published_at", "id"),
        # Posts whose search text is still to be derived (a big scan leaves it to the search index).
        Index("ix_posts_text_pending", "id", sqlite_where=TEXT_PENDING, postgresql_where=TEXT_PENDING),
    )


class SlugHistory(Base):
    """An old slug of a post, so links and commands using it still find the post."""

    __tablename__ = "slug_history"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime]


class FileSeen(Base):
    """A file under posts/ as last seen: its stat, its hash, and the post or error it gave."""

    __tablename__ = "files_seen"

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)


class Destination(Base):
    """A chat, channel, topic or thread that receives transmissions."""

    __tablename__ = "destinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # Strings hold Telegram's 52-bit ids and Discord's 64-bit snowflakes alike.
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[DestinationKind] = mapped_column(Choice(DestinationKind), default=DestinationKind.PRIVATE)
    mode: Mapped[DestinationMode] = mapped_column(Choice(DestinationMode), default=DestinationMode.INSTANT)
    digest_cron: Mapped[str | None] = mapped_column(String(120))
    digest_tz: Mapped[str | None] = mapped_column(String(64))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    last_digest_at: Mapped[datetime | None]
    # The due-time index of digests: when this destination's schedule next fires (UTC).
    next_digest_at: Mapped[datetime | None] = mapped_column(index=True)
    # A push-only destination (a webhook): where to POST, the body's shape, the signing secret.
    # `chat_id` is then a hash of the URL, which may be longer than 64 and holds Slack's token.
    endpoint_url: Mapped[str | None] = mapped_column(Text)
    endpoint_format: Mapped[str | None] = mapped_column(String(16))
    endpoint_secret: Mapped[str | None] = mapped_column(Text)
    # `/settings full on`: whole posts as the transmissions themselves (channels that want the article).
    full_posts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (UniqueConstraint("platform", "chat_id", "thread_id", name="uq_destinations_target"),)


class Delivery(Base):
    """One message to send, edit or delete: the outbox row and the dedupe record."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # post:{post}:{destination}:{kind}:{version}, digest:{destination}:{scheduled time},
    # collapse:{destination}:{oldest}-{newest}:{count} or rebroadcast:{post}:{destination}:{time}.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("destinations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DeliveryKind] = mapped_column(Choice(DeliveryKind))
    post_version: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(Choice(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    message_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The chat the messages went to: a group that became a supergroup keeps its old messages.
    sent_chat_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)


class Reading(Base):
    """A whole post a reader opened in a chat; its messages are edited when the post changes."""

    __tablename__ = "readings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64), default="")
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    post_version: Mapped[int] = mapped_column(Integer)
    message_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime]

    __table_args__ = (Index("ix_readings_post_sent", "post_id", "sent_at"),)


class MetaValue(Base):
    """Small key/value facts about the store itself (e.g. when it was first indexed)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PaidUsage(Base):
    """Paid broadcast sends counted per platform and UTC day: the daily Stars budget, shared by replicas."""

    __tablename__ = "paid_usage"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    # Sends that carried the paid flag and were not refused: reserved when their rows are claimed
    # (in the claim's transaction), given back when the send fails.
    messages: Mapped[int] = mapped_column(Integer, default=0)


# The outbox as a Core table: the dispatcher's hot path uses Core statements, far cheaper per row.
DELIVERIES = cast(Table, Delivery.__table__)
