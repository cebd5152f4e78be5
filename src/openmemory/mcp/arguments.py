"""The MCP tools' arguments: upstream's names, types, defaults and limits (reference §5), as pydantic models.

Each model's JSON schema is what ``tools/list`` advertises, and ``tools/call`` validates the arguments with it
before a tool runs, so a bad argument is a JSON-RPC InvalidParams error, never half a tool call. Unknown
arguments are ignored, as upstream's zod objects drop them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from openmemory.models import MAX_CONTENT_CHARS, MAX_TAG_CHARS, MAX_TAGS

MAX_ID_CHARS = 256

Sector = Literal["episodic", "semantic", "procedural", "emotional", "reflective"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CONTENT_CHARS)]
# upstream: z.string().trim().min(1): surrounding spaces are dropped and nothing else is not an id
Ident = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID_CHARS)]
Tag = Annotated[str, StringConstraints(max_length=MAX_TAG_CHARS)]

USER_ID = "The user to act for. Over HTTP it must be omitted or equal the API key's tenant."
PROJECT_READ = "Only memories of this project, system_global ones and unscoped ones (all of the user's if omitted)."


class _Args(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FactPattern(_Args):
    subject: str | None = Field(None, description="Subject (entity); omit for any.")
    predicate: str | None = Field(None, description="Predicate (relationship); omit for any.")
    object: str | None = Field(None, description="Object (value); omit for any.")


class NewFact(_Args):
    subject: Annotated[str, StringConstraints(min_length=1)] = Field(description="Fact subject (entity).")
    predicate: Annotated[str, StringConstraints(min_length=1)] = Field(description="Fact predicate (relationship).")
    object: Annotated[str, StringConstraints(min_length=1)] = Field(description="Fact object (value).")
    confidence: float | None = Field(None, ge=0, le=1, description="Confidence 0..1 (default 1.0).")
    valid_from: str | None = Field(None, description="ISO date the fact holds from (default: now).")


class QueryArgs(_Args):
    query: Annotated[str, StringConstraints(min_length=1, max_length=8192)] = Field(description="Free-form text.")
    type: Literal["contextual", "factual", "unified"] = Field(
        "contextual",
        description="'contextual': memories (default); 'factual': temporal facts; 'unified': both.",
    )
    fact_pattern: FactPattern | None = Field(None, description="Facts to match ('factual' and 'unified').")
    at: str | None = Field(None, description="ISO date: facts valid at this time (default: now).")
    k: int = Field(8, ge=1, le=32, description="Maximum memories to return.")
    sector: Sector | None = Field(None, description="Only memories of this sector.")
    min_salience: float | None = Field(None, ge=0, le=1, description="Only memories at least this salient.")
    user_id: Ident | None = Field(None, description=USER_ID)
    project_id: Ident | None = Field(None, description=PROJECT_READ)


class StoreArgs(_Args):
    content: Text = Field(description="The text to remember.")
    type: Literal["contextual", "factual", "both"] = Field(
        "contextual", description="'contextual': a memory (default); 'factual': the facts only; 'both'."
    )
    facts: list[NewFact] | None = Field(None, description="Temporal facts; required for 'factual' and 'both'.")
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS)] | None = Field(None, description="Tags of the memory.")
    metadata: dict[str, Any] | None = Field(None, description="Any JSON object kept with the memory and facts.")
    user_id: Ident | None = Field(None, description=USER_ID)


class StoreProjectArgs(StoreArgs):
    project_id: Ident = Field(description="The project the memory and facts belong to.")


class ReinforceArgs(_Args):
    id: Ident = Field(description="The memory's id.")
    boost: float = Field(0.1, ge=0.01, le=1, description="Salience to add (capped at 1).")
    user_id: Ident | None = Field(None, description=USER_ID)


class DeleteArgs(_Args):
    id: Ident = Field(description="The memory's id.")
    user_id: Ident | None = Field(None, description=USER_ID)
    project_id: Ident | None = Field(None, description="Refuse unless the memory is visible in this project.")


class ListArgs(_Args):
    limit: int = Field(10, ge=1, le=50, description="How many memories, newest first.")
    sector: Sector | None = Field(None, description="Only memories of this sector.")
    user_id: Ident | None = Field(None, description=USER_ID)
    project_id: Ident | None = Field(None, description=PROJECT_READ)


class GetArgs(_Args):
    id: Ident = Field(description="The memory's id.")
    include_vectors: bool = Field(False, description="Also list the sectors the memory has vectors in.")
    user_id: Ident | None = Field(None, description=USER_ID)
    project_id: Ident | None = Field(None, description="Not found unless the memory is visible in this project.")


def input_schema(model: type[_Args]) -> dict[str, Any]:
    """The JSON schema a client sees: pydantic's, without the titles pydantic adds to every field."""
    schema = model.model_json_schema()
    _drop_titles(schema)
    return schema


def _drop_titles(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("title", None)
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop in value.values():
                    _drop_titles(prop)
            else:
                _drop_titles(value)
    elif isinstance(node, list):
        for item in node:
            _drop_titles(item)
