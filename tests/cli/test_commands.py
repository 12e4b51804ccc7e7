"""The ``corpusbot`` command end to end, as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.index import BM25Parameters, PassageIndex
from bot.index.backends.base import COMPILED_FROM_PASSAGES
from bot.snapshot.cache import BUILD_LOCK
from tests.conftest import DATA, SEED_DIR

REPO = Path(__file__).resolve().parents[2]


def corpusbot(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("CORPUS_", "BM25_", "PASSAGE_"))
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_ask_prints_quoted_snippets_with_citations() -> None:
    result = corpusbot(
        "--corpus", str(SEED_DIR), "ask", "What does Russia plan to give North Korea?"
    )
    assert result.returncode == 0, result.stderr
    first_block = result.stdout.split("\n\n")[0]
    quote, cite = first_block.splitlines()
    assert (
        quote.startswith("> ") and "satellite technology" in quote and "**Russia plans**" in quote
    )
    assert (
        cite.startswith("— Secretary of State Antony Blinken")
        and "`000_fe06235f8a2d5290#1`" in cite
    )
    assert result.stdout.count("\n> ") == 2  # three results by default


def test_ask_json_gives_the_snippet_a_member_reads_and_the_whole_passage() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "ask", "Iranian satellites", "-k", "5", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == "Iranian satellites"
    results = payload["results"]
    assert 1 <= len(results) <= 5
    assert set(results[0]) == {"id", "title", "score", "snippet", "text"}
    assert "**Iranian satellites**" in results[0]["snippet"]
    assert results[0]["snippet"].startswith("> ")
    assert "Iranian satellites in November" in results[0]["text"]
    assert results == sorted(results, key=lambda r: -r["score"])


def test_ask_with_no_usable_terms_says_so() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "ask", "why is the?")
    assert result.returncode == 0
    assert "No matching passages" in result.stdout


def test_ask_rejects_bad_result_counts_and_huge_queries() -> None:
    assert "between 1 and 25" in corpusbot("--corpus", str(SEED_DIR), "ask", "x", "-k", "0").stderr
    huge = corpusbot("--corpus", str(SEED_DIR), "ask", "word " * 400)
    assert huge.returncode == 2 and "keep it under 1,000" in huge.stderr


def test_source_shows_the_passage_and_its_neighbours() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "source", "000_fe06235f8a2d5290#2")
    assert result.returncode == 0, result.stderr
    assert "passage 2 of 3" in result.stdout
    assert "Blinken's visit to Seoul" in result.stdout
    assert "previous: `000_fe06235f8a2d5290#1`" in result.stdout
    assert "next: `000_fe06235f8a2d5290#3`" in result.stdout


def test_unknown_source_id_names_the_closest() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "source", "000_fe06235f8a2d5290#7")
    assert result.returncode == 1
    assert "no passage or document has the id" in result.stderr
    assert "000_fe06235f8a2d5290#" in result.stderr


def test_index_reports_counts_and_skipped_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Apples\n\nApples are red and sweet. " * 5)
    (tmp_path / "b.txt").write_bytes(b"\x00binary\x00")
    result = corpusbot("index", env={"CORPUS_DIR": str(tmp_path), "CORPUS_LANGUAGE": "fr"})
    assert result.returncode == 0, result.stderr
    assert "documents:  1" in result.stdout and "passages:   1" in result.stdout
    assert "skipped:    b.txt (binary)" in result.stdout
    assert "languages:  fr 1 (passages)" in result.stdout  # CORPUS_LANGUAGE, as set
    assert "time:" in result.stdout


def test_index_says_how_it_was_loaded_and_full_folds_changes_in(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(30):
        (corpus / f"note{number}.md").write_text(f"# Note {number}\n\nRivers and fields. " * 4)
    env = {"CORPUS_DIR": str(corpus), "INDEX_CACHE_DIR": str(tmp_path / "index")}
    assert "index:      built" in corpusbot("index", env=env).stdout
    (corpus / "note3.md").write_text("# Note 3\n\nQuokkas now. " * 4)
    layered = corpusbot("index", env=env)
    assert "index:      the saved index with the files changed since laid over it" in layered.stdout
    assert "documents:  30" in layered.stdout
    assert "index:      built" in corpusbot("index", "--full", env=env).stdout


def test_index_full_that_cannot_save_its_build_says_so_in_its_exit_status(tmp_path: Path) -> None:
    """A bot runs ``index --full`` in a child and maps what it saved: a build left in the
    child's memory must not pass for a saved one."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.md").write_text("# Note\n\nRivers and fields.")
    (tmp_path / "index").write_text("")  # a file where the cache folder should be
    env = {"CORPUS_DIR": str(corpus), "INDEX_CACHE_DIR": str(tmp_path / "index")}
    result = corpusbot("index", "--full", env=env)
    assert result.returncode == 3, result.stderr
    assert "not writable" in result.stderr
    assert result.stderr.rstrip().endswith(f"could not be saved in {tmp_path / 'index'}")
    assert "documents:  1" in result.stdout
    assert corpusbot("index", env=env).returncode == 0  # a plain look saves nothing, by design


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "x.txt").write_text("Zebras are striped.")
    (tmp_path / ".env").write_text(f"CORPUS_DIR={corpus}\n")
    result = corpusbot("ask", "zebras", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "**Zebras** are striped." in result.stdout


def test_missing_corpus_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = corpusbot("--corpus", str(tmp_path / "nope"), "ask", "x")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_bad_setting_is_a_clear_error() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "ask", "x", env={"BM25_B": "7"})
    assert result.returncode == 2
    assert "bad setting: BM25_B: Input should be less than or equal to 1" in result.stderr
    assert "'7'" not in result.stderr and "input_value" not in result.stderr


TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GhIjKl.secret-token-value"
SHORT_SALT = "pepper-short"


def test_a_rejected_setting_never_shows_the_token_or_the_salt() -> None:
    """A check across settings made pydantic print every input: the salt whole, the token's
    start. The message names the setting and why, and holds neither value."""
    secrets = {"DISCORD_TOKEN": TOKEN, "QUERY_LOG_USER_SALT": SHORT_SALT}
    cases = [
        ("ask", {**secrets, "QUERY_LOG_HASH_USERS": "true"}, "QUERY_LOG_USER_SALT (16+"),
        ("run", {**secrets, "QUERY_LOG_HASH_USERS": "true"}, "QUERY_LOG_USER_SALT (16+"),
        ("run", {**secrets, "ASK_COOLDOWN_RATE": "many"}, "ASK_COOLDOWN_RATE: Input should"),
    ]
    for command, env, named in cases:
        result = corpusbot(
            "--corpus", str(SEED_DIR), command, *(["x"] * (command == "ask")), env=env
        )
        output = result.stdout + result.stderr  # for "run", the bot's whole log
        assert result.returncode == 2 and named in result.stderr, output
        assert SHORT_SALT not in output and TOKEN[:6] not in output, output


def _beir(folder: Path, qrels: str, queries: str = '{"_id": "q1", "text": "otters"}\n') -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "title": "Otters", "text": "Otters."}\n')
    (folder / "queries.jsonl").write_text(queries)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + qrels)
    return folder


def test_bad_evaluation_input_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "Who?", "answer": "x"}\nnot json\n')
    cases = {
        "qa line": (("eval", "qa", str(qa), "--corpus", str(SEED_DIR)), "qa.jsonl:2: not valid"),
        "qa folder": (("eval", "qa", str(tmp_path), "--corpus", str(SEED_DIR)), "directory"),
        "grade": (("eval", "beir", str(_beir(tmp_path / "a", "q1\td1\tyes\n"))), "'yes' is not"),
        "no query": (("eval", "beir", str(_beir(tmp_path / "b", ""))), "judges no query"),
        "rm3": (("eval", "beir", str(_beir(tmp_path / "c", "q1\td1\t1\n")), "--rm3", "5,1"), "5,1"),
    }
    for name, (args, message) in cases.items():
        result = corpusbot(*args)
        assert (name, result.returncode) == (name, 2), result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr, (name, result.stderr)


def test_log_export_to_a_reader_that_leaves_early_ends_quietly(tmp_path: Path) -> None:
    """``corpusbot log export | head -1``: the pipe closes; no traceback, status 141 as a shell
    would give; and a folder given as the output file is an error message."""
    import asyncio
    import sqlite3

    from bot.querylog.connection import connect

    database = tmp_path / "log.db"

    async def create() -> None:
        await (await connect(database)).close()

    asyncio.run(create())
    rows = [
        (i, f"2026-11-01T00:00:{i % 60:02d}.000+00:00", 1, "m", "ask", "q" * 200, "answered")
        for i in range(1, 20001)
    ]
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO queries (interaction_id, created_at, user_id, user_name, command, query,"
            " outcome, results, result_count, total_matches, latency_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 0, 0, 1.0)",
            rows,
        )
    reader = subprocess.Popen(
        [sys.executable, "-m", "bot", "log", "--db", str(database), "export"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None and reader.stdout.readline()
    reader.stdout.close()  # the reader leaves, as `head -1` does
    assert reader.wait(timeout=60) == 141
    assert reader.stderr is not None and b"Traceback" not in reader.stderr.read()
    result = corpusbot("log", "--db", str(database), "export", "-o", str(tmp_path))
    assert result.returncode == 2 and "directory" in result.stderr.lower()


def test_a_link_to_the_bots_own_env_file_never_reaches_an_answer(tmp_path: Path) -> None:
    """``seeds/faq.txt -> ../.env`` once let any member ask for the token; refused both as a
    link out of the corpus and as a hidden file, whichever the link setting says."""
    token = "MTIzNDU2.secret-token-for-the-test"
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={token}\nINDEX_CACHE_DIR=\n")
    corpus = tmp_path / "seeds"
    corpus.mkdir()
    (corpus / "faq.txt").symlink_to("../.env")
    (corpus / "about.txt").write_text("The bot quotes documents; the token is kept secret.")
    for follow in ("false", "true"):
        env = {"CORPUS_DIR": str(corpus), "CORPUS_FOLLOW_EXTERNAL_LINKS": follow}
        answer = corpusbot("ask", "DISCORD_TOKEN secret", "--json", cwd=tmp_path, env=env)
        assert answer.returncode == 0, answer.stderr
        assert token not in answer.stdout + answer.stderr
        assert "MTIzNDU2" not in answer.stdout + answer.stderr
        index = corpusbot("index", cwd=tmp_path, env=env)
        assert "skipped:    faq.txt (links to a hidden file or folder)" in index.stdout


def test_index_of_a_hostile_folder_finishes_and_loads_the_good_files(tmp_path: Path) -> None:
    """A FIFO (directly and through a link), /dev/zero through a link, a JSONL line of 3,000
    nested brackets and one with a NUL byte: each is one skipped line, the rest is indexed.
    (``corpusbot`` here times out after 60 s rather than hanging on a FIFO.)"""
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "pipe.fifo")
    (tmp_path / "pipe-link.md").symlink_to("pipe.fifo")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    good = json.dumps({"id": "a", "text": "Apples are red."}).encode()
    hostile = [good, b"[" * 3000 + b"]" * 3000, b'{"text": "\x00"}', good.replace(b'"a"', b'"b"')]
    (tmp_path / "records.jsonl").write_bytes(b"\n".join(hostile))
    (tmp_path / "big.txt").write_text("Bananas are yellow. " * 1000)
    env = {"CORPUS_DIR": str(tmp_path), "INDEX_CACHE_DIR": "", "MAX_FILE_BYTES": "10000"}
    result = corpusbot("index", env=env)
    assert result.returncode == 0, result.stderr
    assert "documents:  2" in result.stdout
    for line in (
        "pipe.txt (not a regular file (a named pipe))",
        "pipe-link.md (not a regular file (a named pipe))",
        "zero.txt (links outside the corpus folder (CORPUS_FOLLOW_EXTERNAL_LINKS is off))",
        "records.jsonl:2 (not valid JSON (nested too deeply))",
        "records.jsonl:3 (not valid JSON (Invalid control character at))",
        "big.txt (too large (20,000 bytes, over MAX_FILE_BYTES=10,000))",
    ):
        assert f"skipped:    {line}" in result.stdout, result.stdout


def test_ask_as_a_service_user_without_a_writable_home_answers_the_same() -> None:
    """A service user with no home and read-only code leaves numba nowhere to cache the
    compiled kernels: a small corpus never needs them, and a large index answers from numpy,
    the same, with one warning."""
    if os.geteuid() == 0 and shutil.which("setpriv"):  # run as nobody (uid 65534)
        become = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    elif os.geteuid() != 0 and not os.access(REPO / "bot", os.W_OK):
        become = []
    else:
        pytest.skip("needs root (and setpriv), to run as a user who cannot write the code")
    plain = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "INDEX_CACHE_DIR": ""}

    def as_service_user(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*become, sys.executable, *argv],
            cwd=REPO,
            env={**plain, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    question = ["ask", "What does Russia plan to give North Korea?", "-k", "2"]
    asked = as_service_user("-m", "bot", *question, CORPUS_DIR=str(SEED_DIR))
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout == corpusbot(*question, env={"INDEX_CACHE_DIR": ""}).stdout
    assert not asked.stderr.strip()

    build = "PassageIndex.build([['apples', str(n % 7)] for n in range(size)], BM25Parameters())"
    large = as_service_user(
        "-c",
        "from bot.index import BM25Parameters, PassageIndex\n"
        "from bot.index.backends.base import COMPILED_FROM_PASSAGES as size\n"
        f"index = {build}\n"
        "print(index.backend, repr(index.top(['apples', '3'], 1)[0][0].score))",
    )
    assert large.returncode == 0, large.stderr
    compiled = PassageIndex.build(
        [["apples", str(n % 7)] for n in range(COMPILED_FROM_PASSAGES)],
        BM25Parameters(),
        backend="numba",
    )
    expected = compiled.top(["apples", "3"], 1)[0][0].score
    assert large.stdout.split() == ["numpy", repr(expected)]
    warnings = [line for line in large.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "KERNEL_CACHE_DIR" in warnings[0], warnings


def test_ask_answers_from_web_pages_and_word_documents_citing_the_section(
    tmp_path: Path,
) -> None:
    env = {"INDEX_CACHE_DIR": str(tmp_path / "cache")}
    corpus = ("--corpus", str(DATA / "formats"))
    result = corpusbot(*corpus, "ask", "How do I install Lantern on Linux with apt?", env=env)
    assert result.returncode == 0, result.stderr
    quote, cite = result.stdout.split("\n\n")[0].splitlines()
    assert "**apt**" in quote
    assert cite.startswith(
        "— [Installation - Lantern Server Guide › Installation › Linux]"
        "(https://docs.lantern.example/install.html#linux) · `install#2` · score "
    )
    result = corpusbot(*corpus, "ask", "disk usage alert threshold", "-k", "1", "--json", env=env)
    assert result.returncode == 0, result.stderr
    [hit] = json.loads(result.stdout)["results"]
    assert (hit["id"], hit["title"], hit["section"]) == (
        "handbook#3",
        "Lantern Operations Handbook",
        "Monitoring › Alerts",
    )
    assert "link" not in hit and "Disk usage | 90 percent | Prune old backups" in hit["text"]
    result = corpusbot(*corpus, "source", "config#3", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:3] == [
        "Section: Configuration › Backups",
        "`https://docs.lantern.example/config.html#backups`",
    ]


def test_ask_answers_from_a_pdf_citing_the_page(tmp_path: Path) -> None:
    env = {"INDEX_CACHE_DIR": str(tmp_path / "cache")}
    corpus = ("--corpus", str(DATA / "formats"))
    question = "How long may a moderator mute someone in voice?"
    result = corpusbot(*corpus, "ask", question, "-k", "1", env=env)
    assert result.returncode == 0, result.stderr
    quote, cite = result.stdout.split("\n\n")[0].splitlines()
    assert "thirty minutes" in quote
    assert cite.startswith("— Lantern Community Rulebook › p. 3 · `rulebook#3` · score ")
    result = corpusbot(*corpus, "ask", question, "-k", "1", "--json", env=env)
    [hit] = json.loads(result.stdout)["results"]
    assert (hit["id"], hit["section"]) == ("rulebook#3", "p. 3")
    result = corpusbot(*corpus, "source", "rulebook#3", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:3] == ["Section: p. 3", "`rulebook.pdf`"]
    # PDF_MAX_PAGES is the setting's name, and a new cap is a new snapshot, not the cached one.
    capped = corpusbot(*corpus, "ask", question, "--json", env={**env, "PDF_MAX_PAGES": "3"})
    assert capped.returncode == 0, capped.stderr
    assert "rulebook.pdf: 4 pages, over PDF_MAX_PAGES=3" in capped.stderr
    assert "rulebook#3" not in capped.stdout


def test_ask_lang_is_the_hint_for_a_question_too_short_to_tell() -> None:
    """Without a hint "Berlin" is taken for English (tests/search/test_languages.py)."""
    corpus = ["--corpus", str(SEED_DIR.parent / "multilingual")]
    ask = ["ask", "Berlin", "-k", "1", "--json", "--lang", "de-AT"]
    result = subprocess.run(
        [sys.executable, "-m", "tests.fake_languages_main", *corpus, *ask],
        cwd=REPO,
        env={**os.environ, "INDEX_CACHE_DIR": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout)["results"][0]["id"] == "berlin-de#1"


def test_ask_rejects_a_lang_that_is_no_language() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "ask", "x", "--lang", "Deutsch")
    assert result.returncode == 2
    assert "--lang 'Deutsch' is not a language code" in result.stderr


def test_index_whose_build_worker_is_killed_fails_at_once_in_one_line(tmp_path: Path) -> None:
    """One of the build's worker processes killed mid-build, as the kernel kills one for lack
    of memory: the command says so in one line and exits 2, where it used to wait for ever on
    the chunk that worker held."""
    command = _parallel_build(tmp_path)
    try:
        os.kill(_children(command.pid, 1)[0], signal.SIGKILL)
        out, err = command.communicate(timeout=60)
    finally:
        command.kill()
    assert command.returncode == 2, (out, err)
    assert err.strip() == (
        "corpusbot: a worker process of the index build stopped before it finished (killed, "
        "perhaps for lack of memory); the build was abandoned"
    )
    # No snapshot saved, and the abandoned build's staging folder is gone: the cache holds
    # only its lock.
    assert [p.name for p in (tmp_path / "index").iterdir()] == [BUILD_LOCK]


def test_a_killed_build_s_workers_leave_with_it(tmp_path: Path) -> None:
    """A bot stopped mid-build kills its child's build: the build's workers, which hold the
    pipe their tasks come through, must not wait on it for ever, each with its memory."""
    command = _parallel_build(tmp_path)
    try:
        workers = _children(command.pid, 2)
        time.sleep(0.5)  # under way, as a bot's stop finds them
        assert command.poll() is None, "the build ended before it could be killed"
    finally:
        command.kill()
        command.wait()
    deadline = time.monotonic() + 10
    while (left := [pid for pid in workers if _running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pipe in (command.stdout, command.stderr):  # not read: a worker left would hold them
        assert pipe is not None
        pipe.close()
    assert not left, f"workers {left} outlived the killed build"


def _parallel_build(tmp_path: Path) -> subprocess.Popen[str]:
    """``corpusbot index --full`` started on a corpus over the parallel build's threshold:
    5 × 5.4 MB of JSONL, over PARALLEL_CHARS (20 million characters)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    words = [f"word{number}" for number in range(500)]
    for part in range(5):
        lines = (
            json.dumps({"id": f"{part}-{line}", "text": " ".join(words[line % 400 :][:60])})
            for line in range(12_000)
        )
        (corpus / f"part{part}.jsonl").write_text("\n".join(lines))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORPUS_", "BM25_"))}
    env.update(CORPUS_DIR=str(corpus), INDEX_CACHE_DIR=str(tmp_path / "index"))
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "index", "--full"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _children(pid: int, count: int) -> list[int]:
    """The first ``count`` child processes of ``pid`` to appear (read from ``/proc``)."""
    deadline = time.monotonic() + 30
    found: list[int] = []
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) not in found and _parent(entry) == pid:
                found.append(int(entry.name))
        if len(found) >= count:
            return found[:count]
        time.sleep(0.01)
    raise AssertionError(f"process {pid} started {len(found)} children of {count} in 30 s")


def _parent(process: Path) -> int | None:
    try:
        return int((process / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None  # gone, or not a process


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
