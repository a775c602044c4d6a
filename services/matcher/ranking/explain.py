"""Why a candidate was suggested: its best passage, shared terms and sectors, plain reasons.

Across languages (the need and the candidate written in different detected languages) the
explanation says so (`across_languages`, and a reason "Matched across languages: de → en."); its
passage is the candidate's own, in its language, and a shared term is one of the words that occur
in both texts and are stop words in neither language ("die" is German's article, not the English
verb of "die casting")."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np

from models.matching import AcrossLanguages, Explanation, MatchedPassage, MatchResult
from models.profiles import ProfilePublic
from models.reference import nuts2_of
from services.matcher.ranking.query import Query
from services.matcher.ranking.scored import Scored
from services.matcher.text import (
    Passage,
    languages_meet,
    profile_text,
    shared_tokens,
    stop_words,
    tokenize,
)

__all__ = [
    "Evidence",
    "across",
    "explain",
    "reasons",
    "results",
    "shared_sectors",
    "shared_terms",
]

MAX_TERMS = 8
SNIPPET = 120
# Words BM25 keeps (they are not English stop words) that say nothing about why two
# organisations fit: the verbs and fillers of any project text ("to serve our customers", "the
# challenges we face"). Shown as a shared term they read as noise, so explanations leave them out
# (ranking still counts them).
EXPLAINS_NOTHING = frozenset(
    """able aim aimed aims allow allows also approach based bring brings challenge challenges
    different enable enables ensure ensures face faced faces facing get gets give gives help
    helped helping helps include includes including like look looking looks make makes making
    many need needed needs new offer offered offering offers order provide provided provides
    providing serve served serves serving take takes use used uses using various want wants way
    ways well within work working works year years""".split()
)
CLOSE = 0.35  # cosine above which a passage is called close to the query
MAINLY = 0.5  # share of the score above which a result is said to be ranked up by the priors


def shared_terms(
    query_tokens: Sequence[str],
    candidate: ProfilePublic,
    idf: Callable[[str], float],
    common: Collection[str] | None = None,
    ignore: Collection[str] = (),
) -> list[str]:
    """Words in both texts (stop words, EXPLAINS_NOTHING and `ignore` removed), rarest first;
    `common` when already known."""
    if common is None:
        common = set(query_tokens) & set(tokenize([profile_text(candidate)])[0])
    telling = [t for t in common if t not in EXPLAINS_NOTHING and t not in ignore]
    return sorted(telling, key=lambda t: (-idf(t), t))[:MAX_TERMS]


def shared_sectors(candidate: ProfilePublic, wanted: Sequence[str]) -> list[str]:
    """The candidate's sectors that lie in, or contain, a wanted sector."""
    return [s for s in candidate.sectors if any(s.startswith(w) or w.startswith(s) for w in wanted)]


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "…"


@dataclass(frozen=True)
class Evidence:
    """What one result is explained from."""

    candidate: ProfilePublic
    passage: Passage  # its passage closest to the query (the one `semantic` is the cosine of) ...
    query_part: str  # ... and the part of the query it is closest to
    part_is_need: bool
    components: dict[str, float]
    terms: list[str]
    sectors: list[str]
    common_partners: int
    seeker: ProfilePublic | None
    topical_partners: int = 0
    partnerships: int = 0  # corroborated
    shares: dict[str, float] | None = None  # of the linear score, what each component added
    across: tuple[str, str] | None = None  # (need's, candidate's) language when they differ


def reasons(e: Evidence) -> list[str]:
    """The plain-language reasons, strongest first."""
    candidate, passage, components, seeker = e.candidate, e.passage, e.components, e.seeker
    what = {
        "offer": "offers",
        "need": "also needs",
        "keywords": "lists",
        "description": "describes",
        "name": "is named",
    }[passage.field]
    yours = "your need" if e.part_is_need else "your description"
    shares = e.shares or {}
    priors = {name: shares.get(name, 0.0) for name in ("activity", "trust", "peers")}
    # Ranked mostly by the priors: their share of the score is above MAINLY; named by the
    # largest of them.
    by = max(priors, key=priors.__getitem__) if sum(priors.values()) > MAINLY else None
    out = []
    if by == "activity":
        n = e.partnerships
        out.append(
            f"Ranked up mainly by its track record of {n} corroborated "
            f"partnership{'s' if n != 1 else ''}."
        )
    elif by == "trust":
        out.append("Ranked up mainly because it worked with your partners.")
    elif by == "peers":
        out.append("Ranked up mainly because it worked with organisations close to your need.")
    if components.get("semantic", 0.0) >= CLOSE:
        out.append(
            f'It {what} "{_snippet(passage.text)}", close to {yours} "{_snippet(e.query_part)}".'
        )
    else:
        out.append(f'Its closest passage is "{_snippet(passage.text)}" (a weak semantic match).')
    if e.across is not None:
        out.append(f"Matched across languages: {e.across[0]} → {e.across[1]}.")
    if e.terms:
        out.append("Shared terms: " + ", ".join(e.terms[:5]) + ".")
    if e.sectors:
        out.append("Works in the sectors " + ", ".join(e.sectors) + ".")
    if components.get("reciprocal", 0.0) >= 0.5 and seeker is not None:
        out.append("It needs something you offer, so the partnership can go both ways.")
    if components.get("known", 0.0) > 0:
        out.append("You have worked together before.")
    if e.common_partners:
        out.append(f"It has worked with {e.common_partners} of your partners.")
    if e.topical_partners:
        many = "organisations" if e.topical_partners != 1 else "organisation"
        out.append(f"It has worked with {e.topical_partners} {many} close to your need.")
    if e.partnerships and by != "activity":
        n = e.partnerships
        out.append(f"It has {n} corroborated partnership{'s' if n != 1 else ''}.")
    where = candidate.region_name or candidate.country_name or candidate.country
    if seeker is not None and where and nuts2_of(candidate.region) != nuts2_of(seeker.region):
        out.append(f"It is based in {where}, outside your region.")
    elif where:
        out.append(f"It is based in {where}.")
    return out


def explain(e: Evidence) -> Explanation:
    """The explanation attached to one result."""
    return Explanation(
        passage=MatchedPassage(field=e.passage.field, index=e.passage.index, text=e.passage.text),
        query_part=e.query_part,
        shared_terms=e.terms,
        shared_sectors=e.sectors,
        components={k: round(float(v), 6) for k, v in e.components.items()},
        reasons=reasons(e),
        partnerships=e.partnerships,
        across_languages=(
            None if e.across is None else AcrossLanguages(need=e.across[0], candidate=e.across[1])
        ),
    )


def across(need: str, candidate: str) -> tuple[str, str] | None:
    """(need, candidate) languages when both are known and differ, else None."""
    return None if languages_meet(need, candidate) else (need, candidate)


def results(
    scored: Scored,
    scores: np.ndarray,
    contributions: dict[str, np.ndarray],
    page: np.ndarray,
    query: Query,
    seeker: ProfilePublic | None,
    wanted: list[str],
) -> list[MatchResult]:
    """The results at `page` (candidate positions, best first), each with its explanation:
    the passage `semantic` was computed from (its best weighted cosine to any query part) and
    that part, shared terms and sectors, and what share of the linear score each component
    added (`contributions`, which sum to it; `scores` may be the learned ranker's)."""
    found, corpus = scored.found, scored.pool.corpus
    linear = sum(contributions.values(), np.zeros(len(scores)))
    out = []
    for j in page:
        start, count = found.starts[j], found.counts[j]
        local = int(np.argmax(scored.best_sim[start : start + count]))
        part = int(scored.best_part[start + local])
        candidate = found.candidates[j]
        total = float(linear[j])
        shares = {k: float(v[j]) / total if total > 0 else 0.0 for k, v in contributions.items()}
        languages = across(query.language, str(found.languages[j]))
        ignore = stop_words(languages[0]) | stop_words(languages[1]) if languages else frozenset()
        out.append(
            MatchResult(
                profile=candidate,
                score=round(float(scores[j]), 6),
                explanation=explain(
                    Evidence(
                        candidate=candidate,
                        passage=found.passages[j][local],
                        query_part=query.parts[part],
                        part_is_need=bool(query.is_need[part]),
                        components={k: float(v[j]) for k, v in scored.components.items()},
                        terms=shared_terms(
                            scored.tokens,
                            candidate,
                            lambda t: corpus.lexicon.idf(scored.query_ids.get(t)),
                            shared_tokens(scored.query_ids, found.candidate_tokens[j]),
                            ignore,
                        ),
                        sectors=shared_sectors(candidate, wanted),
                        common_partners=int(found.common[j]),
                        seeker=seeker,
                        topical_partners=int(found.raw["topical_partners"][j]),
                        partnerships=int(found.raw["partnerships"][j]),
                        shares=shares,
                        across=languages,
                    )
                ),
            )
        )
    return out
