"""The index: everything derived from the profiles that is searched, filtered or scored.

`ids` (the passage-id scheme), `vectors` (the vector index), `store` (the passage vectors
candidates are scored on), `lexicon` (BM25 and its rebuild), `columns` (filter columns),
`graph` (partners), `snapshot` (the on-disk format, with `snapshot_profiles`: the profiles as
columns, `snapshot_derived`: BM25 and the partner links, `snapshot_index`: save and restore)
and `profiles` (the `ProfileIndex` that owns the writes) with its read-only `view`.
"""

from services.matcher.index.columns import Corpus
from services.matcher.index.lexicon import Lexicon
from services.matcher.index.profiles import ProfileIndex
from services.matcher.index.store import PassageStore
from services.matcher.index.vectors import FaissIndex, VectorIndex
from services.matcher.index.view import ProfileView

__all__ = [
    "Corpus",
    "FaissIndex",
    "Lexicon",
    "PassageStore",
    "ProfileIndex",
    "ProfileView",
    "VectorIndex",
]
