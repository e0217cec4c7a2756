"""Autocomplete look-ups: published posts by the words typed, categories by what was typed."""


async def seeded(app, write_post):
    write_post("a.md", "Diffusion notes", date="2026-11-01", slug="diffusion", category="生成模型")
    write_post(
        "b.md", "Policy gradients", date="2026-11-02", slug="policy", category="Reinforcement Learning"
    )
    write_post("c.md", "Later", date="2027-01-01", slug="later", category="Future")  # not yet published
    await app.scan()


async def test_posts_match_every_typed_word_else_the_newest(app, write_post):
    await seeded(app, write_post)
    lookups = app.services.lookups
    assert await lookups.posts("", 25) == [("Policy gradients", "policy"), ("Diffusion notes", "diffusion")]
    assert await lookups.posts("diffusion  NOTES", 25) == [("Diffusion notes", "diffusion")]
    assert await lookups.posts("", 1) == [("Policy gradients", "policy")]
    assert await lookups.posts("nothing", 25) == []


async def test_categories_contain_what_was_typed(app, write_post):
    await seeded(app, write_post)
    lookups = app.services.lookups
    assert sorted(await lookups.categories()) == ["Reinforcement Learning", "生成模型"]
    assert await lookups.categories(" learn") == ["Reinforcement Learning"]
