from bot.store import meta
from bot.store.models import MetaValue


async def test_a_missing_key_is_none_a_stored_one_its_value(app):
    async with app.sessions.begin() as session:
        assert await meta.get(session, "first_scan_at") is None
        session.add(MetaValue(key="first_scan_at", value="2026-11-20T00:00:00+00:00"))
    async with app.sessions() as session:
        assert await meta.get(session, "first_scan_at") == "2026-11-20T00:00:00+00:00"
