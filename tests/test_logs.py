import logging

from bot.logs import RedactingFormatter, secret_parts


def record(message, *args, exc_info=None):
    return logging.LogRecord("httpx", logging.INFO, __file__, 1, message, args, exc_info)


def test_secrets_are_redacted_in_messages_arguments_and_tracebacks():
    token = "123456:AAE-secret-part"
    formatter = RedactingFormatter(secret_parts(token))
    line = formatter.format(record("POST %s", f"https://api.telegram.org/bot{token}/sendMessage"))
    assert token not in line and "AAE-secret-part" not in line
    assert "https://api.telegram.org/bot***/sendMessage" in line
    try:
        raise RuntimeError(f"failed with AAE-secret-part in {token}")
    except RuntimeError:
        import sys

        line = formatter.format(record("boom", exc_info=sys.exc_info()))
    assert "AAE-secret-part" not in line and "RuntimeError" in line


def test_bot_id_alone_is_not_treated_as_a_secret():
    assert secret_parts("123456:abcdef") == ["123456:abcdef", "abcdef"]
    assert secret_parts("discord-token-without-colon") == ["discord-token-without-colon"]
    formatter = RedactingFormatter(["abc"])  # too short to redact safely
    assert "abc" in formatter.format(record("abc"))


def test_json_lines_are_single_line_json_and_redacted():
    import json
    import sys

    formatter = RedactingFormatter(["123456:AAE-secret-part", "AAE-secret-part"], as_json=True)
    try:
        raise ValueError("token AAE-secret-part\nsecond line")
    except ValueError:
        line = formatter.format(
            record("request to %s failed", "bot123456:AAE-secret-part", exc_info=sys.exc_info())
        )
    assert "\n" not in line and "AAE-secret-part" not in line
    event = json.loads(line)
    assert event["level"] == "INFO" and event["logger"] == "httpx" and "ValueError" in event["exception"]


def test_redaction_ignores_case():
    # PTB lowercases some error messages that echo the request URL, token included.
    token = "123456:AAE-Secret-Part"
    formatter = RedactingFormatter(secret_parts(token))
    line = formatter.format(record("error: %s", f"https://api.telegram.org/bot{token.lower()}/getme"))
    assert "aae-secret-part" not in line.lower()
    assert "bot***/getme" in line
    assert "***" in formatter.format(record("AAE-SECRET-PART"))


def test_secrets_added_after_configure_are_redacted(capsys):
    from bot.logs import configure, redact

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure("INFO", ["first-secret-value"])
        redact("generated-Webhook-Secret")
        logging.getLogger("t").warning("a first-secret-value b GENERATED-webhook-secret c")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "a *** b *** c" in err
