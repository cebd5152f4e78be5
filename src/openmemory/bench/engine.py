"""The OpenMemory engine as a LoCoMo retriever: one user per conversation, one memory per dialog turn."""

from __future__ import annotations

from collections.abc import Sequence

from openmemory.bench.locomo import Turn
from openmemory.memory import Memory

WARM_WORDS_S = 600.0  # at most, to embed one conversation's words for the vocabulary expansion


class MemoryRetriever:
    """Indexes turns through ``Memory.add_many`` and answers with ``Memory.query`` (no reinforcement)."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self._dia_of: dict[str, str] = {}

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        for turn in turns:
            result = self.memory.add(
                turn.text,
                user_id=conversation_id,
                metadata={"dia_id": turn.dia_id, "session": turn.session, "session_date": turn.session_date},
            )
            self._dia_of.setdefault(result.memory_id, turn.dia_id)
        self.memory.maintenance.warm_words(conversation_id, WARM_WORDS_S)  # a warm owner, as a served one is

    def search(self, conversation_id: str, question: str, k: int) -> list[str]:
        hits = self.memory.query(question, user_id=conversation_id, k=k, reinforce=False)
        return [self._dia_of[h.memory.memory_id] for h in hits if h.memory.memory_id in self._dia_of]
