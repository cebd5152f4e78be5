"""What a handler is given: the app's Memory and the authenticated Caller (FastAPI dependencies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from openmemory.api.auth import Caller, KeyRing, presented_key
from openmemory.memory import Memory


async def _memory(request: Request) -> Memory:
    memory: Memory = request.app.state.memory
    return memory


async def _caller(request: Request) -> Caller:
    keyring: KeyRing = request.app.state.keyring
    caller = keyring.caller_for(presented_key(request))
    request.state.meter_key = caller.meter_key
    return caller


MemoryDep = Annotated[Memory, Depends(_memory)]
CallerDep = Annotated[Caller, Depends(_caller)]
