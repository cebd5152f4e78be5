"""The temporal knowledge graph service (``Memory.facts``): facts, their history, and the edges between them."""

from openmemory.facts.fields import is_visible, iso
from openmemory.facts.service import Facts

__all__ = ["Facts", "is_visible", "iso"]
