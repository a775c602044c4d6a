"""Profile -> passages: each paragraph of the description, each offer, each need, the keywords;
any of them longer than the model's window cut into window-sized chunks (overlapping a little),
so that nothing beyond the window is silently truncated. Queries are cut the same way."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from models.profiles import ProfilePublic

__all__ = [
    "FIELD_CODES",
    "PASSAGE_SCHEME",
    "WINDOW_STRIDE",
    "Field",
    "Passage",
    "Splitter",
]

log = logging.getLogger("crosslink.matcher.text")

Field = Literal["description", "offer", "need", "keywords", "name"]
FIELD_CODES: dict[str, int] = {"description": 0, "offer": 1, "need": 2, "keywords": 3, "name": 4}
# Names how profiles are cut into passages: snapshots made under another scheme are rebuilt.
PASSAGE_SCHEME = "paragraphs-1"
WINDOW_STRIDE = 32  # tokens shared by consecutive chunks so no phrase is cut in two


@dataclass(frozen=True)
class Passage:
    field: Field
    index: int | None
    text: str


class Splitter:
    """Cuts texts into chunks of at most `window` tokens of the model's own tokenizer, and
    profiles into at most `max_passages` passages."""

    def __init__(self, tokenizer: Any, window: int, max_passages: int) -> None:
        self.tokenizer = tokenizer
        self.window = window
        self.max_passages = max_passages

    def split(self, text: str) -> list[str]:
        """Cut `text` into chunks of at most one model window each (overlapping a little)."""
        return self.split_many([text])[0]

    def split_many(self, texts: list[str]) -> list[list[str]]:
        """`split` for many texts in one tokenizer call (the fast tokenizer batches them)."""
        out: list[list[str]] = [[] for _ in texts]
        kept = [i for i, t in enumerate(texts) if t.strip()]
        stripped = [texts[i].strip() for i in kept]
        if not stripped:
            return out
        enc = self.tokenizer(
            stripped,
            add_special_tokens=False,
            truncation=True,
            max_length=self.window,
            stride=WINDOW_STRIDE,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        for offsets, sample in zip(
            enc["offset_mapping"], enc["overflow_to_sample_mapping"], strict=True
        ):
            if not offsets:
                continue
            chunk = stripped[sample][offsets[0][0] : offsets[-1][1]].strip()
            if chunk:
                out[kept[sample]].append(chunk)
        for k, i in enumerate(kept):
            if not out[i]:
                out[i] = [stripped[k]]
        return out

    def paragraphs(self, text: str) -> list[str]:
        """`text` cut at line breaks, each paragraph in window-sized chunks."""
        return [c for chunks in self.split_many(text.splitlines()) for c in chunks]

    def passages_many(self, profiles: list[ProfilePublic]) -> list[list[Passage]]:
        """The passages each profile is indexed by (at most `max_passages`), one tokenizer call."""
        parts: list[tuple[int, Field, int | None, str]] = []
        for n, profile in enumerate(profiles):
            parts += [(n, "description", None, line) for line in profile.description.splitlines()]
            parts += [(n, "offer", i, o) for i, o in enumerate(profile.offers)]
            parts += [(n, "need", i, x) for i, x in enumerate(profile.needs)]
            if profile.keywords:
                parts.append((n, "keywords", None, ", ".join(profile.keywords)))
        out: list[list[Passage]] = [[] for _ in profiles]
        chunks = self.split_many([text for *_, text in parts])
        for (n, field, index, _), pieces in zip(parts, chunks, strict=True):
            out[n] += [Passage(field, index, c) for c in pieces]
        for profile, passages in zip(profiles, out, strict=True):
            if len(passages) > self.max_passages:
                log.warning(
                    "profile %s has %d passages; indexing the first %d",
                    profile.id,
                    len(passages),
                    self.max_passages,
                )
                del passages[self.max_passages :]
        return out
