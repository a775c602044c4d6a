"""Index snapshots: `<dir>/manifest.json` names the current `<dir>/snap-*/` folder holding
`index.faiss` and `profiles.jsonl`. A new snapshot is written to a temporary folder and renamed,
then the manifest is replaced atomically, so a crash leaves the previous snapshot intact."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from models.profiles import ProfilePublic
from services.matcher.index import FrozenIndex, VectorIndex

INDEX_FILE = "index.faiss"
PROFILES_FILE = "profiles.jsonl"
MANIFEST = "manifest.json"


class Manifest(BaseModel):
    model: str
    dimension: int
    # How profiles were cut into passages (encoder.PASSAGE_SCHEME); "" before it was recorded.
    passages: str = ""
    count: int = 0
    profiles: int = 0
    seq: int = 0
    snapshot: str


def write(
    directory: Path,
    *,
    index: VectorIndex | FrozenIndex,
    profiles: Iterable[ProfilePublic],
    seq: int,
    model: str,
    passages: str = "",
) -> Manifest:
    """Write a snapshot and point the manifest at it."""
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".staging-"))
    try:
        index.save(staging / INDEX_FILE)
        written = 0
        with open(staging / PROFILES_FILE, "w", encoding="utf-8") as fh:
            for profile in profiles:
                fh.write(profile.model_dump_json() + "\n")
                written += 1
        name = f"snap-{seq:012d}-{os.getpid()}-{staging.name[-8:]}"
        os.replace(staging, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    manifest = Manifest(
        model=model,
        dimension=index.dimension,
        passages=passages,
        count=index.count(),
        profiles=written,
        seq=seq,
        snapshot=name,
    )
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".manifest-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(manifest.model_dump_json(indent=2))
    os.replace(tmp, directory / MANIFEST)
    for old in directory.glob("snap-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return manifest


def read_manifest(directory: Path) -> Manifest | None:
    path = directory / MANIFEST
    if not path.exists():
        return None
    return Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))


def read_profiles(directory: Path, manifest: Manifest) -> list[ProfilePublic]:
    with open(directory / manifest.snapshot / PROFILES_FILE, encoding="utf-8") as fh:
        return [ProfilePublic.model_validate_json(line) for line in fh if line.strip()]


def index_path(directory: Path, manifest: Manifest) -> Path:
    return directory / manifest.snapshot / INDEX_FILE
