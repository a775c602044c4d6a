"""Index snapshots: `<dir>/manifest.json` names the current `<dir>/snap-*/` folder holding
`index.faiss`, `profiles.jsonl` and `engine.npz` (the engine's derived state: each profile's
passages, the passage store's vectors and the BM25 token ids, so a restart neither re-splits
nor re-tokenises the profiles, and scores on the same vectors as before it). A new snapshot is
written to a temporary folder and renamed, then the manifest is replaced atomically, so a crash
leaves the previous snapshot intact. A snapshot without `engine.npz` (older) still loads: the
engine derives that state again from the profiles."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from models.profiles import ProfilePublic
from services.matcher.index import FrozenIndex, VectorIndex

INDEX_FILE = "index.faiss"
PROFILES_FILE = "profiles.jsonl"
MANIFEST = "manifest.json"
STATE_FILE = "engine.npz"


@dataclass
class EngineState:
    """What the engine derives from its profiles, in the order of `profiles.jsonl`."""

    passage_counts: np.ndarray  # int64, per profile
    passage_fields: np.ndarray  # int8 FIELD_CODES, per passage
    passage_indexes: np.ndarray  # int32, per passage (-1: none)
    passage_texts: np.ndarray  # int64 index into `texts`, per passage
    texts: list[str]  # distinct passage texts
    vectors: np.ndarray  # float32, one per text (the passage store's rows)
    token_counts: np.ndarray  # int64, per profile
    token_ids: np.ndarray  # int32, concatenated
    vocabulary: list[str]  # token of each id


def _pack(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    lengths = np.array([len(b) for b in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), lengths


def _unpack(blob: np.ndarray, lengths: np.ndarray) -> list[str]:
    data = blob.tobytes()
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    return [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts, ends, strict=True)]


def _write_state(path: Path, state: EngineState) -> None:
    arrays = {f.name: getattr(state, f.name) for f in fields(state)}
    texts, text_lengths = _pack(arrays.pop("texts"))
    vocabulary, vocabulary_lengths = _pack(arrays.pop("vocabulary"))
    with open(path, "wb") as fh:
        np.savez(
            fh,
            texts=texts,
            text_lengths=text_lengths,
            vocabulary=vocabulary,
            vocabulary_lengths=vocabulary_lengths,
            **arrays,
        )


def read_state(directory: Path, manifest: Manifest) -> EngineState | None:
    """The engine state saved with the snapshot; None for a snapshot written without it."""
    path = directory / manifest.snapshot / STATE_FILE
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return EngineState(
        texts=_unpack(arrays.pop("texts"), arrays.pop("text_lengths")),
        vocabulary=_unpack(arrays.pop("vocabulary"), arrays.pop("vocabulary_lengths")),
        **arrays,
    )


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
    state: EngineState | None = None,
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
        if state is not None:
            _write_state(staging / STATE_FILE, state)
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
