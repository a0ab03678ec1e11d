"""Import every command module so that each registers its command on the group."""

from __future__ import annotations

from airq.cli import rates  # noqa: F401
from airq.cli import layers  # noqa: F401
from airq.cli import screen  # noqa: F401
