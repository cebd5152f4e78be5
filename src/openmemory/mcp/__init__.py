"""The MCP surface: upstream OpenMemory's tools over ``Memory``, on stdio (``opm mcp``) and HTTP (``POST /mcp``)."""
