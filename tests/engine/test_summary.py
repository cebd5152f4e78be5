from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmemory.engine.decay import DAY_MS
from openmemory.engine.summary import EMPTY_SUMMARY, extract_essence, preview, summarize_user
from openmemory.models import MemoryRecord

NOW = 1_717_200_000_000  # 2024-06-01T00:00:00Z


def _mem(
    memory_id: str,
    content: str,
    *,
    sector: str = "semantic",
    tags: tuple[str, ...] = (),
    salience: float = 0.5,
    days_ago: float = 0.0,
) -> MemoryRecord:
    t = NOW - int(days_ago * DAY_MS)
    return MemoryRecord(
        memory_id=memory_id,
        user_id="alice",
        content=content,
        primary_sector=sector,
        tags=tags,
        salience=salience,
        created_at_ms=t,
        updated_at_ms=t,
        last_seen_at_ms=t,
    )


def test_empty_summary_is_upstreams_placeholder() -> None:
    assert summarize_user([], NOW) == "User profile initializing... (No memories recorded yet)"
    assert summarize_user([], 0) == EMPTY_SUMMARY


def test_summary_describes_counts_sectors_tags_salient_memories_and_last_activity() -> None:
    memories = [
        _mem("m1", "Alice prefers dark mode in every editor.", tags=("ui", "prefs"), salience=0.9, days_ago=2),
        _mem("m2", "Deploy with make deploy after tests pass.", sector="procedural", tags=("ops",), days_ago=5),
        _mem("m3", "Yesterday Alice met Bob at the cafe.", sector="episodic", tags=("UI",), salience=0.7),
        _mem("m4", "Low priority note.", salience=0.1, days_ago=40),
    ]
    summary = summarize_user(memories, NOW)
    assert summary.startswith("4 memories (episodic 1, semantic 2, procedural 1).")
    assert "Top tags: ui (2), ops (1), prefs (1)." in summary
    assert (
        'Most salient: "Alice prefers dark mode in every editor."; "Yesterday Alice met Bob at the cafe."; '
        '"Deploy with make deploy after tests pass.".'
    ) in summary
    assert "Low priority" not in summary
    assert summary.endswith("Last active: 2024-06-01 (today).")


def test_summary_is_deterministic_whatever_the_input_order() -> None:
    memories = [_mem(f"m{i}", f"memory number {i}", days_ago=i) for i in range(10)]
    assert summarize_user(memories, NOW) == summarize_user(list(reversed(memories)), NOW)


def test_single_memory_summary_uses_singular_and_age() -> None:
    summary = summarize_user([_mem("m", "only one", days_ago=3)], NOW)
    assert summary.startswith("1 memory (semantic 1).")
    assert "Top tags" not in summary
    assert summary.endswith("Last active: 2024-05-29 (3 days ago).")


def test_salience_is_taken_at_now_so_a_fast_decaying_memory_can_drop() -> None:
    old_emotional = _mem("e", "I was thrilled.", sector="emotional", salience=0.8, days_ago=200)
    fresh = _mem("s", "A fresh fact.", salience=0.5)
    summary = summarize_user([old_emotional, fresh], NOW)
    assert summary.index("A fresh fact.") < summary.index("I was thrilled.")


def test_long_previews_are_cut_with_an_ellipsis() -> None:
    text = "word " * 100
    out = preview(text, 40)
    assert len(out) <= 40
    assert out.endswith("…")


def test_extract_essence_returns_short_text_unchanged() -> None:
    assert extract_essence("short", 200) == "short"


def test_extract_essence_keeps_the_first_sentence_and_the_best_others_in_order() -> None:
    text = (
        "Project kickoff notes for the new billing service. "
        "The weather was fine and nothing else happened here. "
        "On 2024-03-05 I paid $300 to Acme Corp for the servers. "
        "Filler sentence with no particular information in it at all."
    )
    out = extract_essence(text, 120)
    assert (
        out
        == "Project kickoff notes for the new billing service. On 2024-03-05 I paid $300 to Acme Corp for the servers."
    )
    assert len(out) <= 120


def test_extract_essence_without_usable_sentences_cuts_the_text() -> None:
    assert extract_essence("a. b. c. " * 50, 20) == ("a. b. c. " * 50)[:20]


def test_extract_essence_of_one_huge_sentence_cuts_it() -> None:
    text = "x" * 500
    assert extract_essence(text, 100) == "x" * 100


@given(st.text(max_size=600), st.integers(min_value=1, max_value=300))
def test_extract_essence_never_exceeds_max_len(text: str, max_len: int) -> None:
    assert len(extract_essence(text, max_len)) <= max_len


@pytest.mark.parametrize("max_chars", [10, 40, 80])
@given(text=st.text(max_size=300))
def test_preview_is_one_line_within_bounds(text: str, max_chars: int) -> None:
    out = preview(text, max_chars)
    assert len(out) <= max_chars
    assert "\n" not in out


def test_a_time_past_year_9999_gives_an_unknown_date_not_an_error() -> None:
    summary = summarize_user([_mem("m", "from the far future", days_ago=-100_000_000)], NOW)
    assert "Last active: unknown date" in summary
