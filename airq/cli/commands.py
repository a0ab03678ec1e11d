"""Import every command module so that each registers its command on the group."""

from __future__ import annotations

from airq.cli import rates  # noqa: F401
from airq.cli import demo  # noqa: F401
from airq.cli import grids  # noqa: F401
from airq.cli import objectives  # noqa: F401
from airq.cli import query  # noqa: F401
from airq.cli import layers  # noqa: F401
from airq.cli import screen  # noqa: F401
from airq.cli import batch  # noqa: F401
from airq.cli import map  # noqa: F401
from airq.cli import report  # noqa: F401
from airq.cli import verify  # noqa: F401
from airq.cli import case  # noqa: F401
from airq.cli import boundaries  # noqa: F401
