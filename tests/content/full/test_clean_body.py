"""cleaner.clean_body: the whole body cleaned, code blocks kept with their lines and language.

The excerpt's `take_prefix` walks lines the same way; tests/content/test_excerpt*.py hold it
unchanged. These check what the whole-body walk adds: every code line handed over, in order.
"""

from __future__ import annotations

from bot.content.cleaner import clean_body, take_prefix


def clean(body: str) -> tuple[str, list[tuple[str, list[str]]]]:
    blocks: list[tuple[str, list[str]]] = []

    def opened(language: str) -> str:
        blocks.append((language, []))
        return f"<code {len(blocks)}>"

    return clean_body(body, opened, lambda line: blocks[-1][1].append(line)), blocks


def test_every_kind_of_code_block_is_handed_over_with_its_language():
    text, blocks = clean(
        "a\n```python {linenos=true}\nx = 1\n\n  y\n```\n"
        "{% highlight ruby linenos %}\nputs 1\n{% endhighlight %}\n"
        "{% codeblock Title lang:js %}\nvar a\n{% endcodeblock %}\n"
        '{{< highlight go "linenos=table" >}}\ngo x\n{{< /highlight >}}\n~~~\nplain\n~~~\nz'
    )
    assert blocks == [
        ("python", ["x = 1", "", "  y"]),
        ("ruby", ["puts 1"]),
        ("js", ["var a"]),
        ("go", ["go x"]),
        ("", ["plain"]),
    ]
    assert " ".join(text.split()) == "a <code 1> <code 2> <code 3> <code 4> <code 5> z"


def test_comments_and_exports_are_dropped_not_handed_over_as_code():
    body = "a\n{% comment %}\nsecret\n{% endcomment %}\n<!--\nhidden\n-->\nexport const x = {\n  y: 1,\n};\nb"
    text, blocks = clean(body)
    assert blocks == [] and text.split() == ["a", "b"]


def test_an_unclosed_fence_holds_the_rest_of_the_post():
    text, blocks = clean("a\n```sh\nls\nmore")
    assert blocks == [("sh", ["ls", "more"])] and text.split() == ["a", "<code", "1>"]


def test_the_whole_body_is_cleaned_however_long():
    body = "\n\n".join(["段落。"] * 5000 + ["```c", "int x;", "```", "尾。"])
    text, blocks = clean(body)
    assert text.endswith("尾。") and blocks == [("c", ["", "int x;", ""])]


def test_take_prefix_still_marks_code_and_stops_early():
    markers = iter(["[code]"] * 10)
    prefix = take_prefix("a\n\n```py\nx\n```\n\n" + "b\n\n" * 100, lambda: next(markers), 10, 20)
    assert "[code]" in prefix.text and prefix.more and "x" not in prefix.text
