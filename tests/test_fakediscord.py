"""The fake Discord works with a real discord.py bot process (tests/fakediscord/echo_bot.py)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio

from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord import payloads as P
from tests.fakediscord.harness import echo_bot_argv, fake_and_bot
from tests.fakediscord.payloads import EPHEMERAL

pytest_plugins = ["tests.fakediscord.pytest_plugin", "pytester"]

pytestmark = pytest.mark.timeout(60)


shared = pytest.mark.asyncio(loop_scope="module")
"""Tests that only talk request/response share one fake + echo bot (one discord.py import)."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_echo() -> AsyncIterator[tuple[FakeDiscord, BotProcess]]:
    async with fake_and_bot(echo_bot_argv, name="echo_bot") as pair:
        yield pair


@pytest.fixture
def fake(shared_echo: tuple[FakeDiscord, BotProcess]) -> FakeDiscord:
    return shared_echo[0]


@pytest.fixture
def bot(shared_echo: tuple[FakeDiscord, BotProcess]) -> Iterator[BotProcess]:
    """The shared bot; prints what it logged during the test (shown if the test fails)."""
    proc = shared_echo[1]
    seen = len(proc.lines)
    yield proc
    print("\n".join(line for _, line in proc.lines[seen:]))


@shared
async def test_login_ready_and_commands_synced(fake: FakeDiscord, bot: BotProcess):
    assert fake.identify_count == 1
    paths = [(r.method, r.path) for r in fake.requests]
    assert ("GET", "/users/@me") in paths
    assert ("GET", "/oauth2/applications/@me") in paths
    app = fake.app_id
    assert ("PUT", f"/applications/{app}/commands") in paths
    assert ("PUT", f"/applications/{app}/guilds/{fake.guild_id}/commands") in paths
    assert fake.commands.names() >= {"ping", "secret", "counter", "fruit", "slow", "tools"}
    assert fake.commands.names(fake.guild_id) == {"guildping"}
    assert fake.commands["fruit"]["options"][0]["autocomplete"] is True
    # discord.py reaches on_ready once the GUILD_CREATE burst is over
    await bot.wait_for_output(r"echo_bot ready as corpusbot-test.*\(1 guilds\)", timeout=10)
    assert not fake.unknown_requests


@shared
async def test_get_commands_roundtrip(fake: FakeDiscord, bot: BotProcess):
    headers = {"Authorization": f"Bot {fake.token}"}
    url = f"{fake.api_base}/applications/{fake.app_id}/commands"
    async with aiohttp.ClientSession() as s:
        async with s.get(url, headers=headers) as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == "application/json"
            names = {c["name"] for c in await r.json()}
        async with s.get(url) as r:
            assert r.status == 401
        async with s.get(f"{fake.api_base}/nope", headers=headers) as r:
            assert r.status == 404
            assert (await r.json())["code"] == 0
    assert "ping" in names
    assert fake.unknown_requests[-1].path == "/nope"


@shared
async def test_ping_reply(fake: FakeDiscord, bot: BotProcess):
    ix = await fake.send_command("ping")
    cb = await ix.wait_response()
    assert cb.type == 4
    msg = await ix.wait_for_message()
    assert msg.content == "pong"
    assert not msg.ephemeral
    assert msg.allowed_mentions == {"parse": []}
    assert ix.response_latency is not None and 0 < ix.response_latency < 3
    assert ix.original_message is not None and ix.original_message["content"] == "pong"


@shared
async def test_ephemeral_and_guild_command(fake: FakeDiscord, bot: BotProcess):
    ix = await fake.send_command("secret")
    msg = await ix.wait_for_message()
    assert msg.ephemeral and msg.flags & EPHEMERAL
    ix = await fake.send_command("guildping")
    assert ix.payload["data"]["guild_id"] == fake.guild_id
    assert (await ix.wait_for_message()).content == f"guild pong {fake.guild_id}"


@shared
async def test_subcommand_group_with_typed_options(fake: FakeDiscord, bot: BotProcess):
    ix = await fake.send_command("tools math add", {"a": 2, "b": "40"})
    opts = ix.payload["data"]["options"]
    assert opts[0]["type"] == 2 and opts[0]["options"][0]["type"] == 1
    assert opts[0]["options"][0]["options"][1] == {"name": "b", "type": 4, "value": 40}
    assert (await ix.wait_for_message()).content == "2 + 40 = 42"
    ix = await fake.send_command("tools echo", {"text": "hi there"})
    assert (await ix.wait_for_message()).content == "hi there"


@shared
async def test_button_press_edits_message(fake: FakeDiscord, bot: BotProcess):
    ix = await fake.send_command("counter")
    msg = await ix.wait_for_message()
    assert msg.content == "count: 0"
    assert msg.custom_ids() == ["echo:inc"]
    user = fake.make_user("clicker")
    for n in (1, 2):
        press = await fake.send_component(msg, "echo:inc", user=user)
        cb = await press.wait_response()
        assert cb.type == 7
        edited = await press.wait_for_message()
        assert edited.message_id == msg.message_id
        assert edited.content == f"count: {n}"
        assert edited.kind == "update"
    assert fake.messages[msg.message_id]["content"] == "count: 2"


@shared
async def test_autocomplete_choices(fake: FakeDiscord, bot: BotProcess):
    ix = await fake.send_autocomplete("fruit", {"name": "ap"}, focused="name")
    cb = await ix.wait_response()
    assert cb.type == 8
    assert [c["value"] for c in cb.choices] == ["apple", "apricot"]
    assert ix.visible_messages == []


@shared
async def test_defer_then_edit_and_followup(fake: FakeDiscord, bot: BotProcess):
    ix = await fake.send_command("slow")
    cb = await ix.wait_response()
    assert cb.type == 5
    first = await ix.wait_for_message()
    assert first.kind == "edit" and first.content == "done"
    assert first.message_id == ix.original_id
    assert first.at - cb.at >= 0.15  # ECHO_SLOW_DELAY default 0.2 s
    msgs = await ix.wait_for_messages(2)
    assert msgs[1].kind == "followup" and msgs[1].ephemeral
    assert msgs[1].content == "and one more thing"
    assert ix.edits == [first] and ix.followups == [msgs[1]]


@shared
async def test_file_upload_is_parsed(fake: FakeDiscord, bot: BotProcess):
    ix = await fake.send_command("upload")
    msg = await ix.wait_for_message()
    assert msg.content == "here"
    assert msg.embeds[0]["title"] == "A file"
    assert [f.data for f in msg.files] == [b"hello file\n"]
    assert msg.attachments[0]["filename"] == "hello.txt"
    assert msg.attachments[0]["size"] == len(b"hello file\n")


@shared
async def test_second_callback_is_rejected(fake: FakeDiscord, bot: BotProcess):
    ix = await fake.send_command("ping")
    await ix.wait_response()
    url = f"{fake.api_base}/interactions/{ix.id}/{ix.token}/callback"
    async with aiohttp.ClientSession() as s:
        async with s.post(url, json={"type": 4, "data": {"content": "again"}}) as r:
            assert r.status == 400
            assert (await r.json())["code"] == 40060
        async with s.post(url.replace(ix.token, "bad"), json={"type": 4}) as r:
            assert r.status == 404
            assert (await r.json())["code"] == 10062
    assert len(ix.late_callbacks) == 1


@shared
async def test_100_concurrent_pings(fake: FakeDiscord, bot: BotProcess):
    start = time.monotonic()
    ixs = await asyncio.gather(*(fake.send_command("ping") for _ in range(100)))
    assert len({ix.id for ix in ixs}) == 100 and len({ix.token for ix in ixs}) == 100
    msgs = await asyncio.gather(*(ix.wait_for_message(timeout=20) for ix in ixs))
    assert all(m.content == "pong" for m in msgs)
    latencies = sorted(ix.message_latency for ix in ixs)
    print(f"100 pings: {time.monotonic() - start:.2f}s, p50={latencies[49]:.3f}s")
    assert all(ix.late_callbacks == [] for ix in ixs)


@shared
async def test_rate_limited_callback_is_retried(fake: FakeDiscord, bot: BotProcess):
    fake.inject_error("POST", r"^/interactions/\d+/[^/]+/callback$", retry_after=0.2)
    ix = await fake.send_command("ping")
    msg = await ix.wait_for_message()
    assert msg.content == "pong"
    statuses = [r.status for r in fake.requests if r.path.endswith(f"/{ix.id}/{ix.token}/callback")]
    assert statuses == [429, 200]
    assert ix.response_latency is not None and ix.response_latency >= 0.2


@shared
async def test_gateway_connection_details(fake: FakeDiscord, bot: BotProcess):
    conn = fake.gateway.connections[0]
    assert conn.query["v"] == "10" and conn.query["encoding"] == "json"
    assert conn.query.get("compress") == "zlib-stream"  # answered with text frames anyway
    identify = next(f.d for f in conn.received if f.op == 2)
    assert identify["token"] == fake.token
    assert identify["intents"] & (1 << 0)  # guilds intent


# -- tests that need a bot of their own (env, restarts, signals) --


async def test_fixed_reply_from_env(fake_discord: FakeDiscord, launch_bot):
    await launch_bot(
        [sys.executable, "-m", "tests.fakediscord.echo_bot", "--sync"], env={"ECHO_REPLY": "fixed!"}
    )
    ix = await fake_discord.send_command("ping")
    assert (await ix.wait_for_message()).content == "fixed!"


@pytest.mark.parametrize("fake_discord_options", [{"heartbeat_interval_ms": 300}])
async def test_heartbeats_acked(fake_discord: FakeDiscord, echo_bot: BotProcess):
    await fake_discord.wait_until(lambda: fake_discord.heartbeat_count >= 3, timeout=5)
    ix = await fake_discord.send_command("ping")
    assert (await ix.wait_for_message()).content == "pong"


@pytest.mark.parametrize("code", [None, 4000])
async def test_gateway_drop_resumes(fake_discord: FakeDiscord, echo_bot: BotProcess, code):
    ix = await fake_discord.send_command("ping")
    await ix.wait_for_message()
    assert await fake_discord.drop_gateway(code) == 1
    # dispatched while the bot is disconnected: must be replayed after RESUME
    missed = await fake_discord.send_command("ping")
    await fake_discord.wait_for_ready(timeout=15)
    assert fake_discord.resume_count == 1 and fake_discord.identify_count == 1
    assert (await missed.wait_for_message(timeout=10)).content == "pong"
    ix = await fake_discord.send_command("tools echo", {"text": "after resume"})
    assert (await ix.wait_for_message()).content == "after resume"
    await echo_bot.wait_for_output("echo_bot resumed", timeout=5)


async def test_invalid_session_reidentifies(fake_discord: FakeDiscord, echo_bot: BotProcess):
    await fake_discord.invalidate_session(resumable=False)
    await fake_discord.wait_until(lambda: fake_discord.identify_count == 2, timeout=15)
    await fake_discord.wait_for_ready(timeout=10)
    ix = await fake_discord.send_command("ping")
    assert (await ix.wait_for_message()).content == "pong"


async def test_sigterm_exits_cleanly(fake_discord: FakeDiscord, echo_bot: BotProcess):
    ix = await fake_discord.send_command("ping")
    await ix.wait_for_message()
    echo_bot.send_signal(signal.SIGTERM)
    assert await echo_bot.wait(timeout=10) == 0
    assert "echo_bot stopped" in echo_bot.output
    assert "Traceback" not in echo_bot.output


@pytest.mark.parametrize("fake_discord_options", [{"response_deadline": 0.0}])
async def test_callback_after_deadline_is_unknown_interaction(fake_discord, echo_bot):
    ix = await fake_discord.send_command("ping")
    await ix.wait_until(lambda i: i.late_callbacks)
    assert ix.callback is None and ix.visible_messages == []
    await echo_bot.wait_for_output(r"Unknown interaction", timeout=5)


async def test_bad_token_fails_login(fake_discord: FakeDiscord, launch_bot):
    bot = await launch_bot(
        [sys.executable, "-m", "tests.fakediscord.echo_bot"],
        env={"DISCORD_TOKEN": "wrong"},
        wait_ready=False,
    )
    assert await bot.wait(timeout=15) != 0
    assert "Improper token" in bot.output
    assert fake_discord.identify_count == 0


# -- request bodies are checked against Discord's OpenAPI spec (no bot: the test is the client) --

GOOD_MESSAGE = {
    "content": "**Answer** with a [link](https://example.org)",
    "embeds": [
        {
            "title": "Source",
            "url": "https://example.org/doc#1",
            "description": "d" * 4000,
            "fields": [{"name": "Score", "value": "12.3", "inline": True}],
            "footer": {"text": "passage 1 of 3"},
            "color": 0x5865F2,
        }
    ],
    "components": [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "label": "Open 1", "custom_id": "open:1"},
                {"type": 2, "style": 5, "label": "Docs", "url": "https://example.org"},
            ],
        }
    ],
    "allowed_mentions": {"parse": []},
    "flags": EPHEMERAL,
}

GOOD_COMMANDS = [
    {
        "name": "ask",
        "description": "Ask the corpus",
        "type": 1,
        # discord.py sends permissions as a string of digits; Discord reads it as the integer
        "default_member_permissions": "8192",
        "contexts": [0],
        "options": [
            {"type": 3, "name": "question", "description": "What to ask", "required": True},
            {"type": 4, "name": "results", "description": "1-5", "min_value": 1, "max_value": 5},
        ],
    }
]


async def _send(
    fake: FakeDiscord, method: str, path: str, body: object, *, upload: bytes | None = None
) -> tuple[int, dict]:
    """Send a body as discord.py does: JSON, or multipart with payload_json and one file."""
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as s:
        if upload is None:
            kwargs: dict = {"json": body}
        else:
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps(body), content_type="application/json")
            form.add_field("files[0]", upload, filename="answer.txt")
            kwargs = {"data": form}
        async with s.request(method, fake.api_base + path, headers=headers, **kwargs) as r:
            return r.status, (await r.json() if r.status != 204 else {})


async def test_bodies_discord_accepts_pass_the_spec(fake_discord: FakeDiscord):
    fake = fake_discord
    ix = fake.undelivered_command("ping")
    cb = f"/interactions/{ix.id}/{ix.token}/callback"
    webhook = f"/webhooks/{fake.app_id}/{ix.token}"
    channel = f"/channels/{fake.channel['id']}/messages"
    upload = {"content": "the log", "attachments": [{"id": 0, "filename": "answer.txt"}]}
    sent = [
        await _send(fake, "POST", cb, {"type": 4, "data": GOOD_MESSAGE}),
        await _send(fake, "PATCH", f"{webhook}/messages/@original", {"content": "edited"}),
        await _send(fake, "POST", f"{webhook}?wait=true", upload, upload=b"rows\n"),
        await _send(fake, "PUT", f"/applications/{fake.app_id}/commands", GOOD_COMMANDS),
        await _send(fake, "POST", channel, GOOD_MESSAGE),
    ]
    assert [status for status, _ in sent] == [204, 200, 200, 200, 200]
    assert fake.spec_violations == []
    assert ix.followups[0].attachments[0]["filename"] == "answer.txt"


@pytest.mark.parametrize(
    ("route", "body", "field", "code"),
    [
        pytest.param(
            "callback",
            {"type": 4, "data": {"embeds": [{"title": "t", "url": "not a url"}]}},
            ("data", "embeds", "0", "url"),
            "URL_TYPE_INVALID_URL",
            id="embed-url",
        ),
        pytest.param(
            "callback",
            {"type": 4, "data": {"content": "x" * 2001}},
            ("data", "content"),
            "BASE_TYPE_MAX_LENGTH",
            id="long-content",
        ),
        pytest.param(
            "callback",
            {"type": 42, "data": {"content": "hi"}},
            ("type",),
            "UNION_TYPE_CHOICES",
            id="unknown-callback-type",
        ),
        pytest.param(
            "commands",
            [{**GOOD_COMMANDS[0], "description": "d" * 101}],
            ("0", "description"),
            "BASE_TYPE_MAX_LENGTH",
            id="command-description",
        ),
        pytest.param(
            "commands",
            [{"name": "ask", "description": "x", "options": [{"type": 3, "name": "q"}]}],
            ("0", "options", "0", "description"),
            "BASE_TYPE_REQUIRED",
            id="option-without-description",
        ),
        pytest.param(
            "upload",
            {"content": "x", "embeds": [{"url": "not a url"}]},
            ("embeds", "0", "url"),
            "URL_TYPE_INVALID_URL",
            id="multipart-payload-json",
        ),
    ],
)
async def test_bodies_discord_refuses_get_400_and_are_recorded(
    fake_discord: FakeDiscord, route, body, field, code
):
    fake = fake_discord
    ix = fake.undelivered_command("ping")
    path, upload = {
        "callback": (f"/interactions/{ix.id}/{ix.token}/callback", None),
        "commands": (f"/applications/{fake.app_id}/commands", None),
        "upload": (f"/channels/{fake.channel['id']}/messages", b"file"),
    }[route]
    status, answer = await _send(
        fake, "PUT" if route == "commands" else "POST", path, body, upload=upload
    )
    assert status == 400
    assert answer["code"] == 50035 and answer["message"] == "Invalid Form Body"
    node = answer["errors"]
    for part in field:
        node = node[part]
    assert node["_errors"][0]["code"] == code
    # nothing of a refused body is kept
    assert ix.callback is None and fake.messages == {} and len(fake.commands) == 0
    [violation] = fake.take_spec_violations()
    assert violation.method in ("POST", "PUT") and violation.body == body
    assert any(e.path == field and e.code == code for e in violation.errors)
    assert ix.token not in violation.describe()  # tokens are masked in the report


def test_a_refused_body_fails_the_test_even_if_the_client_ignores_the_400(pytester):
    pytester.makepyfile(
        """
        import aiohttp
        from tests.fakediscord import FakeDiscord

        async def test_swallows_the_400():
            async with FakeDiscord() as fake:
                url = f"{fake.api_base}/channels/{fake.channel['id']}/messages"
                headers = {"Authorization": f"Bot {fake.token}"}
                async with aiohttp.ClientSession() as s:
                    await s.post(url, json={"embeds": [{"url": "not a url"}]}, headers=headers)

        async def test_claims_its_bad_body():
            async with FakeDiscord() as fake:
                url = f"{fake.api_base}/channels/{fake.channel['id']}/messages"
                headers = {"Authorization": f"Bot {fake.token}"}
                async with aiohttp.ClientSession() as s:
                    await s.post(url, json={"embeds": [{"title": "t" * 257}]}, headers=headers)
                assert len(fake.take_spec_violations()) == 1
        """
    )
    result = pytester.runpytest(
        *("-p", "tests.fakediscord.pytest_plugin", "-p", "no:cacheprovider"),
        *("-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"),
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_swallows_the_400*",
            "*1 request bodies Discord's OpenAPI spec refuses (during the test)*",
            "*POST /channels/*/messages (spec: /channels/{channel_id}/messages)",
            "*embeds.0.url: Not a well formed URL. (URL_TYPE_INVALID_URL)",
            '*body: {"embeds": ?{"url": "not a url"}?}',  # ? for [ and ]: fnmatch classes
            "*request bodies validated against Discord's OpenAPI spec*",
        ]
    )


# -- replies, forum posts and missing permissions, as Discord answers them ------------------------


async def test_a_reply_names_and_embeds_the_message_it_answers(fake_discord: FakeDiscord):
    fake = fake_discord
    asked = fake.member_message(fake.channel["id"], "where is the satellite?")
    channel = f"/channels/{fake.channel['id']}/messages"
    reference = {"message_id": int(asked["id"]), "channel_id": int(fake.channel["id"])}
    body = {"content": "here", "nonce": "8405945855709075009", "message_reference": reference}
    status, reply = await _send(fake, "POST", channel, body)
    assert status == 200 and fake.spec_violations == []  # discord.py's integer ids, digit nonce
    assert reply["type"] == 19 and reply["message_reference"]["message_id"] == asked["id"]
    assert reply["referenced_message"]["content"] == "where is the satellite?"


async def test_a_reply_to_an_unknown_message_is_refused_unless_told_not_to(
    fake_discord: FakeDiscord,
):
    fake = fake_discord
    channel = f"/channels/{fake.channel['id']}/messages"
    gone = {"message_id": "123", "channel_id": fake.channel["id"]}
    status, answer = await _send(fake, "POST", channel, {"content": "x", "message_reference": gone})
    assert status == 400 and answer["code"] == 50035
    assert "message_reference" in answer["errors"]
    lenient = {**gone, "fail_if_not_exists": False}
    status, sent = await _send(
        fake, "POST", channel, {"content": "x", "message_reference": lenient}
    )
    assert status == 200 and sent["type"] == 0 and "message_reference" not in sent


async def test_a_nonce_longer_than_discord_takes_is_still_refused(fake_discord: FakeDiscord):
    fake = fake_discord
    channel = f"/channels/{fake.channel['id']}/messages"
    status, _ = await _send(fake, "POST", channel, {"content": "x", "nonce": "n" * 26})
    assert status == 400
    assert len(fake.take_spec_violations()) == 1


async def test_the_bot_denied_sending_in_a_forum_gets_403_in_its_posts(fake_discord: FakeDiscord):
    fake = fake_discord
    open_forum = fake.add_forum("help")
    locked = fake.add_forum("locked", denied_to_bot=P.PERM_SEND_MESSAGES_IN_THREADS)
    assert open_forum["type"] == 15 and locked["permission_overwrites"][0]["type"] == 1
    fine = fake.new_forum_post(open_forum, "How?", "How do I?")
    refused = fake.new_forum_post(locked, "Why?", "Why does it?")
    assert fine["type"] == 11 and fine["parent_id"] == open_forum["id"]
    assert fake.messages[fine["id"]]["channel_id"] == fine["id"]  # the post's first message
    status, _ = await _send(fake, "POST", f"/channels/{fine['id']}/messages", {"content": "a"})
    assert status == 200
    status, answer = await _send(
        fake, "POST", f"/channels/{refused['id']}/messages", {"content": "a"}
    )
    assert status == 403 and answer["code"] == 50013
