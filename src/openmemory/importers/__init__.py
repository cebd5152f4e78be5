"""Readers of other memory services' exports (Mem0, Zep, Supermemory) and the pipeline that imports them."""
