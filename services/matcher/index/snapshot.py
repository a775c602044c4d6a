"""Index snapshots: `<dir>/manifest.json` names the current `<dir>/snap-*/` folder holding
`index.faiss`, `profiles.jsonl` and `engine.npz` (the engine's derived state: each profile's
passages, the passage store's vectors and the BM25 token ids, so a restart neither re-splits
nor re-tokenises the profiles, and scores on the same vectors as before it), and since the
restart work of issue 19 `profiles.npz` (the same profiles as columns, read without validating
them again: `snapshot_profiles`), BM25 itself and the partner graph's links
(`snapshot_derived`). A new snapshot is written to a temporary folder and renamed, then the
manifest is replaced atomically, so a crash leaves the previous snapshot intact. A snapshot
without any of the later files (older) still loads: the engine derives what is missing again
from the profiles (`profiles.jsonl`, validated)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from crosslink.files import DIR_MODE, private_dir, restrict
from models.profiles import ProfilePublic
from services.matcher.index import snapshot_derived, snapshot_profiles
from services.matcher.index.lexicon import Lexicon
from services.matcher.index.vectors import FrozenIndex, VectorIndex
from services.matcher.text.passages import FIELD_CODES, PASSAGE_SCHEME, Passage

__all__ = [
    "PASSAGE_SCHEME",
    "EngineState",
    "Manifest",
    "fits",
    "folder",
    "index_path",
    "read_manifest",
    "read_profiles",
    "read_state",
    "readable",
    "state_of",
    "unpack",
    "write",
]

log = logging.getLogger("crosslink.matcher.snapshot")

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
    # str, per profile: its detected language ("" unknown); None in a snapshot from before
    # languages were kept (the engine detects them again)
    languages: np.ndarray | None = None


def fits(state: EngineState, profiles: int) -> bool:
    """The saved state has one entry per profile and per passage, and in-range references."""
    passages = int(state.passage_counts.sum())
    return (
        len(state.passage_counts) == profiles == len(state.token_counts)
        and len(state.passage_fields) == len(state.passage_indexes) == passages
        and len(state.passage_texts) == passages
        and len(state.texts) == len(state.vectors)
        and int(state.token_counts.sum()) == len(state.token_ids)
        and (passages == 0 or int(state.passage_texts.max()) < len(state.texts))
        and (len(state.token_ids) == 0 or int(state.token_ids.max()) < len(state.vocabulary))
        and (state.languages is None or len(state.languages) == profiles)
    )


def unpack(
    state: EngineState, profiles: list[ProfilePublic]
) -> tuple[dict[int, list[Passage]], list[np.ndarray], dict[str, int], list[np.ndarray]]:
    """Passages, token ids, the vocabulary and passage vectors per profile from saved state."""
    names = {code: name for name, code in FIELD_CODES.items()}
    fields = state.passage_fields.tolist()
    indexes = state.passage_indexes.tolist()
    which = state.passage_texts.tolist()
    texts = state.texts
    passages: dict[int, list[Passage]] = {}
    vectors: list[np.ndarray] = []
    at = 0
    for profile, count in zip(profiles, state.passage_counts.tolist(), strict=True):
        passages[profile.id] = [
            Passage(
                field=names[fields[k]],  # type: ignore[arg-type]
                index=None if indexes[k] < 0 else indexes[k],
                text=texts[which[k]],
            )
            for k in range(at, at + count)
        ]
        vectors.append(state.vectors[state.passage_texts[at : at + count]])
        at += count
    ends = np.cumsum(state.token_counts)
    tokens = np.split(state.token_ids, ends[:-1]) if len(ends) else []
    vocabulary = {token: i for i, token in enumerate(state.vocabulary)}
    return passages, tokens, vocabulary, vectors


def state_of(
    passages: list[list[Passage]],
    texts_of_rows: np.ndarray,
    vectors: np.ndarray,
    tokens: list[np.ndarray],
    vocabulary: list[str],
    languages: list[str] | None = None,
) -> EngineState:
    """The state to save: each profile's passages, `texts_of_rows` (per passage, its distinct
    text's number) with the `vectors` of those texts, the BM25 token ids and the languages."""
    flat = [p for found in passages for p in found]
    texts = [""] * len(vectors)
    for passage, at in zip(flat, texts_of_rows.tolist(), strict=True):
        texts[at] = passage.text
    return EngineState(
        passage_counts=np.array([len(x) for x in passages], dtype=np.int64),
        passage_fields=np.array([FIELD_CODES[p.field] for p in flat], dtype=np.int8),
        passage_indexes=np.array(
            [-1 if p.index is None else p.index for p in flat], dtype=np.int32
        ),
        passage_texts=texts_of_rows.astype(np.int64),
        texts=texts,
        vectors=vectors,
        token_counts=np.array([len(t) for t in tokens], dtype=np.int64),
        token_ids=np.concatenate([*tokens, np.zeros(0, dtype=np.int32)]).astype(np.int32),
        vocabulary=vocabulary,
        languages=None if languages is None else np.array(languages, dtype=str),
    )


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
    if arrays["languages"] is None:
        del arrays["languages"]
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
    lexicon: Lexicon | None = None,
    links: tuple[snapshot_derived.Links, frozenset[str]] | None = None,
) -> Manifest:
    """Write a snapshot and point the manifest at it. The directory, the snapshot folders and
    their files are owner-only (0700/0600): the profiles inside carry contacts. `lexicon` (BM25
    over exactly `state`'s token ids) and `links` (the partner graph's, with the trusted hubs)
    are kept when given."""
    private_dir(directory)
    os.chmod(directory, DIR_MODE)  # also one made before snapshots were owner-only
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".staging-"))
    try:
        index.save(staging / INDEX_FILE)
        profiles = list(profiles)
        written = len(profiles)
        with open(staging / PROFILES_FILE, "w", encoding="utf-8") as fh:
            for profile in profiles:
                fh.write(profile.model_dump_json() + "\n")
        snapshot_profiles.write_columns(staging / snapshot_profiles.PROFILES_COLUMNS, profiles)
        if state is not None:
            _write_state(staging / STATE_FILE, state)
            if lexicon is not None:
                snapshot_derived.write_lexicon(staging, lexicon)
        if links is not None:
            snapshot_derived.write_links(staging, *links)
        restrict(*staging.rglob("*"))  # mkdtemp made the folder 0700, the files follow umask
        for inner in staging.rglob("*"):
            if inner.is_dir():
                os.chmod(inner, DIR_MODE)
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
    """The snapshot's profiles: from `profiles.npz` when it has them as columns for this
    `ProfilePublic`, else validated from `profiles.jsonl`."""
    columns = snapshot_profiles.read_columns(
        folder(directory, manifest) / snapshot_profiles.PROFILES_COLUMNS
    )
    if columns is not None:
        return columns
    with open(directory / manifest.snapshot / PROFILES_FILE, encoding="utf-8") as fh:
        return [ProfilePublic.model_validate_json(line) for line in fh if line.strip()]


def folder(directory: Path, manifest: Manifest) -> Path:
    """The folder of the snapshot the manifest names."""
    return directory / manifest.snapshot


def index_path(directory: Path, manifest: Manifest) -> Path:
    return directory / manifest.snapshot / INDEX_FILE


def readable(
    directory: Path, model: str, dimension: int
) -> tuple[Manifest, list[ProfilePublic], EngineState | None] | None:
    """The manifest, profiles and saved state of a snapshot made with this model and passage
    scheme; None when there is none or it was made otherwise (the index is rebuilt then)."""
    manifest = read_manifest(directory)
    if manifest is None:
        return None
    if manifest.model != model or manifest.dimension != dimension:
        log.warning(
            "snapshot made with %s (%d dims), now %s (%d): rebuilding from seq 0",
            manifest.model,
            manifest.dimension,
            model,
            dimension,
        )
        return None
    if manifest.passages != PASSAGE_SCHEME:
        log.warning(
            "snapshot cut profiles into passages by %r, now %r: rebuilding from seq 0",
            manifest.passages,
            PASSAGE_SCHEME,
        )
        return None
    profiles = read_profiles(directory, manifest)
    state = read_state(directory, manifest)
    if state is not None and not fits(state, len(profiles)):
        log.warning("snapshot engine state does not fit its profiles: deriving it again")
        state = None
    return manifest, profiles, state
