"""Tests run in a known environment, whatever the shell that starts them exported."""

from __future__ import annotations

import os

from openmemory.config import Settings


def test_tests_see_no_om_setting_of_the_shell() -> None:
    # tests/conftest.py clears them: OM_EMBEDDINGS=openai in a developer's shell must change no test
    assert not [name for name in os.environ if name.startswith("OM_") and not name.startswith("OM_TEST_")]
    assert Settings.load() == Settings.load(embeddings=Settings.model_fields["embeddings"].default)
