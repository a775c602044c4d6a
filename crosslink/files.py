"""Owner-only files and directories for data that must not be world-readable (contacts, keys).

Directories this creates get 0700 and files 0600, whatever the umask says. SQLite creates a
database's `-wal` and `-shm` files with the database file's own mode, so creating the database
file here first (`private_file`) keeps them owner-only as well. Used by the profiles database;
the gateway's key store and the matcher's snapshot directory can call the same helpers.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file", "restrict"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only; a directory that exists is left as is."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for created in missing:
        os.chmod(created, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty and owner-only if it is absent (its directory owner-only if created);
    an existing file is restricted to its owner."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return path


def restrict(*paths: Path) -> None:
    """Make the files among `paths` that exist owner-only (e.g. a database's WAL and SHM)."""
    for path in paths:
        if path.is_file():
            os.chmod(path, FILE_MODE)
