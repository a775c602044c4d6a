"""The derived state a snapshot keeps besides `engine.npz`'s, so a restart builds nothing:

- `bm25/` (bm25s' own `save` format) with `lexicon.npz` (the profile ids of its rows, the
  vocabulary size and the document frequencies): BM25 as it was over the saved token ids
  (~0.7 s to build on the demo's 4,016 profiles, seconds on the full set). Written only when the
  lexicon was built over exactly the saved tokens; otherwise it is built again at start.
- `links.npz`: each profile's partners in either direction and the corroborated ones (the
  partner graph's cache, `graph.PartnerGraph.cached`) with the trusted hubs they were computed
  for; with other trusted hubs they are computed again.
A snapshot without them (older, or written while BM25 was being rebuilt) still loads.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from services.matcher.index.lexicon import Lexicon

__all__ = ["read_lexicon", "read_links", "write_lexicon", "write_links"]

log = logging.getLogger("crosslink.matcher.snapshot")

BM25_DIR = "bm25"
LEXICON_FILE = "lexicon.npz"
LINKS_FILE = "links.npz"

Links = dict[int, tuple[np.ndarray, np.ndarray]]


def write_lexicon(folder: Path, lexicon: Lexicon) -> None:
    if lexicon.bm25 is not None:
        lexicon.bm25.save(str(folder / BM25_DIR), show_progress=False)
    with open(folder / LEXICON_FILE, "wb") as fh:
        np.savez(fh, ids=lexicon.ids, size=np.array([lexicon.size]), doc_freq=lexicon.doc_freq)


def read_lexicon(folder: Path, profile_ids: np.ndarray, vocabulary_size: int) -> Lexicon | None:
    """The saved lexicon when it covers exactly these (sorted) profile ids and vocabulary."""
    path = folder / LEXICON_FILE
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        ids, size, doc_freq = data["ids"], int(data["size"][0]), data["doc_freq"]
    if size != vocabulary_size or not np.array_equal(ids, profile_ids):
        log.info("snapshot BM25 does not fit its profiles: building it again")
        return None
    bm25 = None
    if len(ids):
        import bm25s

        bm25 = bm25s.BM25.load(str(folder / BM25_DIR), show_progress=False)
    return Lexicon(ids=ids, size=size, doc_freq=doc_freq, bm25=bm25)


def _csr(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    counts = np.array([len(a) for a in arrays], dtype=np.int64)
    return counts, np.concatenate([*arrays, np.zeros(0, dtype=np.int64)]).astype(np.int64)


def write_links(folder: Path, links: Links, trusted_hubs: frozenset[str]) -> None:
    ids = sorted(links)
    both_counts, both = _csr([links[i][0] for i in ids])
    vouched_counts, vouched = _csr([links[i][1] for i in ids])
    with open(folder / LINKS_FILE, "wb") as fh:
        np.savez(
            fh,
            ids=np.array(ids, dtype=np.int64),
            both_counts=both_counts,
            both=both,
            vouched_counts=vouched_counts,
            vouched=vouched,
            trusted_hubs=np.array(sorted(trusted_hubs), dtype=str),
        )


def read_links(folder: Path, profile_ids: np.ndarray, trusted_hubs: frozenset[str]) -> Links:
    """The saved links when they were computed for these profile ids and trusted hubs, else {}."""
    path = folder / LINKS_FILE
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    if (
        not len(profile_ids)
        or set(arrays["trusted_hubs"].tolist()) != trusted_hubs
        or not np.array_equal(arrays["ids"], profile_ids)
    ):
        return {}
    both = np.split(arrays["both"], np.cumsum(arrays["both_counts"])[:-1])
    vouched = np.split(arrays["vouched"], np.cumsum(arrays["vouched_counts"])[:-1])
    return dict(zip(arrays["ids"].tolist(), zip(both, vouched, strict=True), strict=True))
