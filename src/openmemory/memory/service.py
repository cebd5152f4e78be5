"""Memory: the service every surface calls. Validation, owner scoping, one transaction per user action.

    >>> mem = Memory("memory.sqlite")
    >>> r = mem.add("I moved to Lisbon in March", user_id="alice", tags=["travel"])
    >>> [h.memory.content for h in mem.query("where does she live?", user_id="alice", k=5)]
    ['I moved to Lisbon in March']

Every method takes the owner as ``user_id``; ``None`` is the system/default user, a user like any other. A
memory id that belongs to someone else raises the same ``NotFound`` as an id that does not exist.

Reads and writes also take an optional ``project_id`` (upstream 1.3.0's project scoping, reference §3.10):
a memory added with one belongs to that project; a read scoped to a project sees the owner's memories of that
project, of ``system_global`` and of no project; a read without one sees all the owner's memories.
"""

from __future__ import annotations

import builtins
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from openmemory.clock import Clock, now_ms
from openmemory.config import Settings
from openmemory.engine.decay import current_salience, recall_boost, reinforced_salience
from openmemory.engine.dedup import dedup_key, is_same_text, simhash
from openmemory.engine.embed import Embedder, open_embedder
from openmemory.engine.embed.cache import QueryCache
from openmemory.engine.encode import Encoded, encode_many
from openmemory.engine.expand import Expander
from openmemory.engine.retrieve import DEFAULT_TUNING, RetrievalTuning, retrieve
from openmemory.engine.sectors import DECAY_LAMBDA_PER_DAY
from openmemory.engine.summary import summarize_user
from openmemory.engine.waypoints import choose_waypoint
from openmemory.errors import EmbedderMismatch, InvalidInput, NotFound, StoreError
from openmemory.facts import Facts
from openmemory.heap import release_free_memory
from openmemory.memory import validate
from openmemory.memory.maintenance import Maintenance
from openmemory.memory.recall import RecallWriter
from openmemory.models import (
    SYSTEM_GLOBAL,
    AddResult,
    Hit,
    ImportResult,
    MemoryRecord,
    SectorVector,
    SourceMemory,
    UserRecord,
    is_visible_in_project,
)
from openmemory.store import VECTOR_EPOCH_KEY, MemoryFilter, Store, UserStats, open_store

log = logging.getLogger("openmemory.memory")

DEDUP_BOOST = 0.15
LINK_BLOCK = 256
CONSOLIDATE_ABOVE = 0.8
SUMMARY_MEMORIES = 100
IMPORT_ID_NAMESPACE = uuid.UUID("5d0c3f5e-7a43-4c41-9a57-0c0e2d6f4b11")


def imported_memory_id(source: str, source_id: str, user_id: str | None) -> str:
    """The memory id of an imported memory: the same for the same owner, source and source id, never across owners."""
    owner = "\x00system" if user_id is None else f"user:{user_id}"
    return str(uuid.uuid5(IMPORT_ID_NAMESPACE, f"{source}\x00{source_id}\x00{owner}"))


def _checked_import(item: SourceMemory, owner: str | None) -> tuple[str, SourceMemory]:
    """The item with validated fields, and its memory id; InvalidInput names the first bad field."""
    if item.user_id != owner:
        raise InvalidInput(f"an item of user {item.user_id!r} was given for user {owner!r}", field="user_id")
    source = validate.source_name(item.source, "source")
    source_id = validate.source_name(item.source_id, "source_id")
    checked = replace(
        item,
        content=validate.content(item.content),
        created_at_ms=validate.time_ms(item.created_at_ms, "created_at"),
        updated_at_ms=validate.time_ms(item.updated_at_ms, "updated_at"),
        tags=validate.tags(item.tags),
        meta=validate.metadata({**item.meta, "source": source, "source_id": source_id}),
    )
    return imported_memory_id(source, source_id, owner), checked


def settings_for(target: str | Path | None, settings: Settings | None = None) -> Settings:
    """Settings for ``Memory(target)``: a PostgreSQL DSN, a SQLite path, or None for the environment's choice."""
    base = settings or Settings.load()
    if target is None:
        return base
    text = str(target)
    if text.startswith(("postgres://", "postgresql://")):
        return base.replace(metadata_backend="postgres", pg_url=text)
    return base.replace(metadata_backend="sqlite", db_path=Path(text))


def _covers(existing_project: str | None, project: str | None) -> bool:
    """Whether an existing memory already serves a new one of ``project``: it is visible wherever the new one
    would be (the same project, ``system_global``, or no project at all)."""
    return existing_project in (None, SYSTEM_GLOBAL, project)


class Memory:
    """Long-term memory for many users in one database (SQLite file or PostgreSQL)."""

    def __init__(
        self,
        target: str | Path | None = None,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        store: Store | None = None,
        clock: Clock | None = None,
        tuning: RetrievalTuning = DEFAULT_TUNING,
        check_embedder: bool = True,
    ) -> None:
        self.settings = settings_for(target, settings)
        self._embedder = QueryCache(embedder or open_embedder(self.settings))
        self._clock = clock or now_ms
        self._store = store or open_store(self.settings, clock=self._clock)
        self._tuning = tuning
        self._expander = Expander(self._embedder) if self.settings.word_expansion else None
        self._summary_lock = threading.Lock()
        self._recall = RecallWriter(self._store, self.settings.recall_flush_ms / 1000)
        self.facts = Facts(self._store.facts, self._clock)
        """The temporal knowledge graph: ``mem.facts.add(subject, predicate, object, user_id=...)`` (facts.py)."""
        try:
            if check_embedder:
                self._claim_embedder()
        except BaseException:
            self._store.close()
            raise

    # -- lifecycle --------------------------------------------------------------------------------------------

    def warm_up(self) -> tuple[int, int]:
        """Load the embedding model and the search indexes of the most recently active owners (up to
        ``OM_WARM_MEMORIES`` memories in all), so their first queries do not pay for it; (owners, memories).

        Never waits for an approximate index to be built: a large owner without a usable saved one is searched
        exactly until the background build is done (``maintenance.wait_for_indexes`` waits for it). Nor for the
        vocabulary expansion's word vectors of these owners (OM_WORD_EXPANSION), embedded in the background."""
        load = getattr(self._embedder, "load", None)
        if callable(load):
            load()
        if self.settings.warm_memories <= 0:
            return 0, 0
        loaded = self._store.maintenance_preload(self._embedder.dim, self.settings.warm_memories)
        release_free_memory()  # the rows read to build the indexes are freed but would stay resident
        if self._expander is not None:  # their words are embedded in the background (engine/expand.py)
            for user_id, _ in loaded:
                self._expander.prefetch(self._store.vocabulary(user_id=user_id))
        return len(loaded), sum(count for _, count in loaded)

    @property
    def location(self) -> str:
        """Where the memories are stored: a SQLite path or a PostgreSQL server and schema (no password)."""
        return self._store.location

    @property
    def maintenance(self) -> Maintenance:
        """The cross-user jobs (decay, pruning, summaries, reflection, bulk loads): an admin door, never a tenant's."""
        return Maintenance(self, self._store)

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    def close(self) -> None:
        if self._expander is not None:
            self._expander.close()
        self._embedder.close()
        self._recall.close()
        self._store.close()

    def flush(self) -> None:
        """Write query-time reinforcement still buffered (buffered for OM_RECALL_FLUSH_MS, 50 by default)."""
        self._recall.flush()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _claim_embedder(self) -> None:
        """Record the embedder in a new database; refuse one built by another model or dimension."""
        model = self._store.read_meta("embed_model")
        dim = self._store.read_meta("embed_dim")
        if model is None:
            self._store.write_meta("embed_model", self._embedder.name)
            self._store.write_meta("embed_dim", str(self._embedder.dim))
        elif model != self._embedder.name or int(dim or 0) != self._embedder.dim:
            raise EmbedderMismatch(model, int(dim or 0), self._embedder.name, self._embedder.dim)

    # -- writes -----------------------------------------------------------------------------------------------

    def add(
        self,
        content: str,
        *,
        user_id: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        project_id: str | None = None,
    ) -> AddResult:
        """Store one memory for ``user_id``, in ``project_id`` if given (or find the identical one it already has).

        Raises InvalidInput for empty, oversized or non-UTF-8 content and bad tags or metadata.
        """
        return self.add_many([content], user_id=user_id, tags=tags, metadata=metadata, project_id=project_id)[0]

    def add_many(
        self,
        contents: Sequence[str],
        *,
        user_id: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        project_id: str | None = None,
    ) -> builtins.list[AddResult]:
        """Store several memories for one user, embedding them in batches; one transaction per memory.

        Texts the user already has where they would be stored (in ``project_id``, or visible there: in
        ``system_global`` or in no project), or that repeat within the batch, come back with ``deduplicated=True``.
        """
        owner = validate.user_id(user_id)
        project = validate.project_id(project_id)
        texts = [validate.content(c) for c in contents]
        tag_tuple = validate.tags(tags)
        meta = validate.metadata(metadata)
        results: list[AddResult | None] = [None] * len(texts)
        hashes = [simhash(text) for text in texts]
        fresh: list[int] = []
        first_copy: dict[tuple[str, ...], int] = {}  # in-batch duplicates point at their first copy
        for i, text in enumerate(texts):
            duplicate = self._store.find_by_simhash(hashes[i], user_id=owner)
            if (
                duplicate is not None
                and is_same_text(duplicate.content, text)
                and _covers(duplicate.project_id, project)
            ):
                results[i] = self._boost_duplicate(duplicate)
            elif dedup_key(text) not in first_copy:
                first_copy[dedup_key(text)] = i
                fresh.append(i)
        # Embed everything first, then store: measured faster than overlapping the two in threads
        # (305 vs 245-274 memories/s on 2 cores), since the model already keeps both cores busy.
        encoded = encode_many(self._embedder, [texts[i] for i in fresh], [meta] * len(fresh))
        ids = [str(uuid.uuid4()) for _ in fresh]
        links = self._links(ids, encoded, owner, project)
        for i, memory_id, enc, link in zip(fresh, ids, encoded, links, strict=True):
            results[i] = self._insert(memory_id, texts[i], hashes[i], enc, link, owner, project, tag_tuple, meta)
        for i, text in enumerate(texts):
            if results[i] is None:
                first = results[first_copy[dedup_key(text)]]
                assert first is not None
                results[i] = replace(first, deduplicated=True)
        if owner is not None and fresh:
            self._refresh_summary_after_add(owner)
        return [r for r in results if r is not None]

    def import_many(self, items: Sequence[SourceMemory], *, user_id: str | None) -> builtins.list[ImportResult]:
        """Store memories read from another service for ``user_id``, keeping their own creation and update times.

        Each item is keyed on its owner, ``source`` and ``source_id`` (its memory id is derived from the three), so
        importing it again finds it and stores nothing: that key, not the text, decides what is a duplicate, and two
        users never share one. ``metadata.source`` and ``metadata.source_id`` are set on every stored memory. Raises
        InvalidInput, before storing anything, if one item is invalid or names another owner.
        """
        owner = validate.user_id(user_id)
        checked = [_checked_import(item, owner) for item in items]
        stored = self._store.get_memories([memory_id for memory_id, _ in checked], user_id=owner)
        fresh = {memory_id: item for memory_id, item in checked if memory_id not in stored}  # repeats count once
        encoded = encode_many(self._embedder, [i.content for i in fresh.values()], [i.meta for i in fresh.values()])
        links = self._links(list(fresh), encoded, owner, None)
        for (memory_id, item), enc, link in zip(fresh.items(), encoded, links, strict=True):
            times = (item.created_at_ms, item.updated_at_ms)
            digest = simhash(item.content)
            self._insert(memory_id, item.content, digest, enc, link, owner, None, item.tags, item.meta, times)
        if owner is not None and fresh:
            self._refresh_summary_after_add(owner)
        new = set(fresh)
        results: list[ImportResult] = []
        for memory_id, item in checked:
            results.append(ImportResult(memory_id, item.source_id, memory_id in new))
            new.discard(memory_id)  # a repeat within the batch is a duplicate of its first copy
        return results

    def _boost_duplicate(self, record: MemoryRecord) -> AddResult:
        now = self._clock()
        salience = min(1.0, current_salience(record, now) + DEDUP_BOOST)
        self._store.touch_memory(record.memory_id, user_id=record.user_id, salience=salience, last_seen_at_ms=now)
        sectors = record.sectors or (record.primary_sector,)
        return AddResult(record.memory_id, record.primary_sector, sectors, deduplicated=True)

    def _links(
        self, ids: Sequence[str], encoded: Sequence[Encoded], owner: str | None, project: str | None
    ) -> list[tuple[str, float]]:
        """Each new memory's most similar memory of the owner (visible in its project): stored ones, or earlier
        ones of this batch.

        One matrix product for the whole batch instead of one scan of the owner's vectors per memory.
        """
        if not encoded:
            return []
        means = np.stack([e.mean for e in encoded])
        stored = self._store.search_vectors_many(means, user_id=owner, k=1, project_id=project)
        links: list[tuple[str, float]] = []
        for start in range(0, len(means), LINK_BLOCK):
            # earlier memories of the batch, a block of rows at a time: memory stays O(block x batch)
            within = means[start : start + LINK_BLOCK] @ means[: start + LINK_BLOCK].T
            for offset, row in enumerate(within):
                n = start + offset
                hits = stored[n]
                best = hits[0] if hits else ("", -1.0)
                if n > 0:
                    j = int(np.argmax(row[:n]))
                    if float(row[j]) > best[1]:
                        best = (ids[j], float(row[j]))
                links.append(best)
        return links

    def _insert(
        self,
        memory_id: str,
        text: str,
        digest: str,
        enc: Encoded,
        link: tuple[str, float],
        owner: str | None,
        project: str | None,
        tags: tuple[str, ...],
        meta: dict[str, Any],
        times_ms: tuple[int, int] | None = None,
    ) -> AddResult:
        now = self._clock()
        created, updated = times_ms or (now, now)
        cls = enc.classification
        record = MemoryRecord(
            memory_id=memory_id,
            user_id=owner,
            content=text,
            primary_sector=cls.primary,
            tags=tags,
            meta=meta,
            created_at_ms=created,
            updated_at_ms=updated,
            last_seen_at_ms=now,
            salience=min(1.0, 0.4 + 0.1 * len(cls.additional)),
            decay_lambda=DECAY_LAMBDA_PER_DAY[cls.primary],
            simhash=digest,
            project_id=project,
        )
        vectors = [SectorVector(memory_id, s, v, int(v.shape[0])) for s, v in enc.sector_vectors.items()]
        waypoint = choose_waypoint(memory_id, [link] if link[0] else [], user_id=owner, now_ms=now)
        self._store.insert_memory(record, vectors, enc.mean, waypoint, self._embedder.name, user_id=owner)
        return AddResult(memory_id, cls.primary, cls.sectors, deduplicated=False, chunks=enc.chunks)

    def update(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        content: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> MemoryRecord:
        """Change a memory's content, tags or metadata; new content is re-classified and re-embedded."""
        record = self.get(memory_id, user_id=user_id)
        now = self._clock()
        changes: dict[str, Any] = {"updated_at_ms": now, "version": record.version + 1}
        changes["salience"] = current_salience(record, now)
        if tags is not None:
            changes["tags"] = validate.tags(tags)
        if metadata is not None:
            changes["meta"] = validate.metadata(metadata)
        vectors = mean = None
        if content is not None and content != record.content:
            text = validate.content(content)
            (enc,) = encode_many(self._embedder, [text], [changes.get("meta", record.meta)])
            changes.update(content=text, simhash=simhash(text), primary_sector=enc.classification.primary)
            changes["decay_lambda"] = DECAY_LAMBDA_PER_DAY[enc.classification.primary]
            changes["sectors"] = enc.classification.sectors
            vectors = [SectorVector(memory_id, s, v, int(v.shape[0])) for s, v in enc.sector_vectors.items()]
            mean = enc.mean
        updated = replace(record, **changes)
        self._store.replace_memory(updated, vectors, mean, user_id=updated.user_id)
        if updated.user_id is not None and "content" in changes:
            self.refresh_summary(updated.user_id)
        return updated

    def reinforce(self, memory_id: str, *, user_id: str | None = None, boost: float = 0.1) -> MemoryRecord:
        """Raise a memory's salience by ``boost`` (capped at 1) and mark it seen now."""
        amount = validate.unit_interval(boost, "boost") or 0.0
        record = self.get(memory_id, user_id=user_id)
        now = self._clock()
        salience = reinforced_salience(current_salience(record, now), amount)
        self._store.touch_memory(record.memory_id, user_id=record.user_id, salience=salience, last_seen_at_ms=now)
        if salience > CONSOLIDATE_ABOVE:
            self._store.log_stat("consolidate", 1)
        return replace(record, salience=salience, last_seen_at_ms=now, updated_at_ms=now)

    def delete(self, memory_id: str, *, user_id: str | None = None, project_id: str | None = None) -> None:
        """Delete a memory with its vectors and waypoints. Raises NotFound for an unknown or foreign id, and
        for one not visible in ``project_id`` when that is given."""
        owner = validate.user_id(user_id)
        if project_id is not None:
            self.get(memory_id, user_id=owner, project_id=project_id)
        if not self._store.delete_memory(validate.memory_id(memory_id), user_id=owner):
            raise NotFound(memory_id)
        if owner is not None:
            self.refresh_summary(owner)  # a deleted memory must not live on in the stored summary

    def delete_user(self, user_id: str | None) -> int:
        """Delete every memory of one user; returns how many were deleted."""
        owner = validate.user_id(user_id)
        deleted = self._store.delete_user_memories(user_id=owner)
        if owner is not None:
            self.refresh_summary(owner)
        return deleted

    # -- reads ------------------------------------------------------------------------------------------------

    def get(self, memory_id: str, *, user_id: str | None = None, project_id: str | None = None) -> MemoryRecord:
        """One memory of ``user_id`` (visible in ``project_id``, when given). Raises NotFound for an unknown id,
        another user's id, or one of another project alike."""
        owner = validate.user_id(user_id)
        project = validate.project_id(project_id)
        self._recall.settle()  # this process's query-time bumps first: update and reinforce start from this read
        record = self._store.get_memory(validate.memory_id(memory_id), user_id=owner)
        if record is None or not is_visible_in_project(record.project_id, project):
            raise NotFound(memory_id)
        return record

    def list(
        self,
        *,
        user_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
        sector: str | None = None,
        project_id: str | None = None,
    ) -> builtins.list[MemoryRecord]:
        """The user's memories (visible in ``project_id``, when given), newest first."""
        owner = validate.user_id(user_id)
        lim, off = validate.page(limit, offset)
        project = validate.project_id(project_id)
        where = MemoryFilter(sector=validate.sector(sector), project_id=project) if sector or project else None
        self._recall.settle()
        return self._store.all_mem_by_user(user_id=owner, limit=lim, offset=off, where=where)

    def count(self, *, user_id: str | None = None, project_id: str | None = None) -> int:
        project = validate.project_id(project_id)
        where = MemoryFilter(project_id=project) if project else None
        return self._store.count_memories(user_id=validate.user_id(user_id), where=where)

    def query(
        self,
        query: str,
        *,
        user_id: str | None = None,
        k: int = 10,
        sector: str | None = None,
        min_salience: float | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        tags: Sequence[str] | None = None,
        project_id: str | None = None,
        reinforce: bool = True,
    ) -> builtins.list[Hit]:
        """The user's ``k`` most relevant memories for ``query`` (among those visible in ``project_id``, when
        given), best first, each with its score parts.

        Returned memories are reinforced (salience nudged up, last seen now) unless ``reinforce`` is False.
        """
        owner = validate.user_id(user_id)
        text = validate.content(query, "query")
        where = MemoryFilter(
            sector=validate.sector(sector),
            min_salience=validate.unit_interval(min_salience, "min_salience"),
            start_ms=start_ms,
            end_ms=end_ms,
            tags=validate.tags(tags),
            project_id=validate.project_id(project_id),
        )
        now = self._clock()
        # The question's vector is computed on a thread of its own while this one embeds the question's words (for
        # the vocabulary expansion) and the retrieval runs its lexical search, which need no vector; the dense
        # search then waits for it (retrieve asks for the vector after the lexical search).
        self._embedder.prefetch(text)
        if self._expander is not None:  # the question's words (the owner's few new ones: in it)
            self._expander.embed_question(text)
        with self._store.session():
            hits = retrieve(
                self._store, self._embedder, text, user_id=owner, k=validate.k(k), where=where, now_ms=now,
                tuning=self._tuning, expander=self._expander,
            )  # fmt: skip
        if reinforce and hits:
            updates = [(h.memory.memory_id, recall_boost(h.parts.salience)) for h in hits]
            self._recall.record(owner, updates, now)
        return hits

    def reembed(self, *, batch: int = 64, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild every memory's vectors (all users) with the configured embedder, then record it.

        Use after changing OM_EMBEDDINGS or on a database migrated from upstream, whose vectors came from
        upstream's synthetic embedder. Each memory is rewritten in its own transaction, so an interrupted
        run can simply be started again. ``progress(done, total)`` is called after each batch.
        """
        total = sum(self._store.user_stats(user_id=u).memories for u in self._store.maintenance_user_ids())
        # The vectors change but updated_at does not: a new epoch before (an index built during the run mixes
        # old and new vectors) and after tells persisted approximate indexes to rebuild, not to catch up.
        self._store.write_meta(VECTOR_EPOCH_KEY, uuid.uuid4().hex)
        done = 0
        for rows in self._store.maintenance_iter_memories(batch):
            encoded = encode_many(self._embedder, [r.content for r in rows], [r.meta for r in rows])
            for record, enc in zip(rows, encoded, strict=True):
                vectors = [SectorVector(record.memory_id, s, v, int(v.shape[0])) for s, v in enc.sector_vectors.items()]
                self._store.replace_memory(record, vectors, enc.mean, user_id=record.user_id)
            done += len(rows)
            if progress is not None:
                progress(done, total)
        self._store.write_meta("embed_model", self._embedder.name)
        self._store.write_meta("embed_dim", str(self._embedder.dim))
        self._store.write_meta(VECTOR_EPOCH_KEY, uuid.uuid4().hex)
        return done

    # -- users --------------------------------------------------------------------------------------------------

    def user_summary_of_system(self) -> str:
        """The system/default user's summary, computed on demand (the users table keys on a text id)."""
        return summarize_user(
            self._store.all_mem_by_user(user_id=None, limit=SUMMARY_MEMORIES, offset=0), self._clock()
        )

    def user_summary(self, user_id: str) -> str:
        """The user's summary, regenerated when it is older than their newest memory."""
        owner = validate.user_id(user_id)
        if owner is None:
            return self.user_summary_of_system()
        row = self._store.get_user(user_id=owner)
        newest = self._store.all_mem_by_user(
            user_id=owner, limit=1, offset=0
        )  # one row off the (user_id, created_at) index
        if row is None or row.summary is None or (newest and newest[0].created_at_ms > row.updated_at_ms):
            return self.refresh_summary(owner)
        return row.summary

    def _refresh_summary_after_add(self, user_id: str) -> None:
        """The summary is derived data: the memories are stored (committed) by now, so a summary that cannot be
        written (a full disk, a lost connection) is logged and left for the next write to refresh, instead of
        turning a stored memory into a failed request."""
        try:
            self.refresh_summary(user_id)
        except StoreError as exc:
            log.warning("summary of user %r not refreshed: %s", user_id, exc)

    def refresh_summary(self, user_id: str) -> str:
        """Rebuild and store the user's summary from their most recent memories."""
        with self._summary_lock:
            now = self._clock()
            summary = summarize_user(
                self._store.all_mem_by_user(user_id=user_id, limit=SUMMARY_MEMORIES, offset=0), now
            )
            self._store.upd_user_summary(user_id=user_id, summary=summary, updated_at=now)
            return summary

    def user(self, user_id: str) -> UserRecord | None:
        return self._store.get_user(user_id=validate.user_id(user_id) or "")

    def stats(self, *, user_id: str | None = None) -> UserStats:
        return self._store.user_stats(user_id=validate.user_id(user_id))

    def users(self) -> builtins.list[str | None]:
        """Every owner that has memories (an admin read: it crosses users)."""
        return self._store.maintenance_user_ids()
