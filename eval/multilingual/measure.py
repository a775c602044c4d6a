"""Cross-lingual agreement of a ranker: does a need written in German, Polish or Greek find what
the same need finds in English, and does an English need find a profile written in Italian?

The ranker is any `rank(text, k) -> [profile id, ...]` (best first); this module never builds an
engine itself, so the same figures can be computed for every candidate encoder."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Ranker = Callable[[str, int], list[int]]

DATA = Path(__file__).resolve().parent
LANGUAGES = ("en", "de", "fr", "it", "es", "pl", "nl", "pt", "el")
PERSONAS = ("voucher", "hub", "ambassador")


@dataclass(frozen=True)
class Need:
    id: str
    persona: str
    sector: str
    text: dict[str, str]  # language code -> the need written in that language


@dataclass(frozen=True)
class ExampleProfile:
    """A fictional profile written in `language`, and two needs it should answer."""

    external_id: str
    language: str
    record: dict[str, Any]  # importable as is (`crosslink import`, ProfileCreate)
    en_need: str
    own_need: str  # the same kind of need, written in the profile's language


@dataclass
class LanguageAgreement:
    """How far a language's top k agrees with the English need's top k, over all needs."""

    language: str
    needs: int
    overlap: float  # mean |A ∩ B| / k
    rbo: float  # mean rank-biased overlap (extrapolated), persistence p
    per_need: dict[str, tuple[float, float]] = field(default_factory=dict)  # id -> (overlap, rbo)


@dataclass
class FindingFigures:
    """Where the profiles of one language rank for the needs written to find them."""

    language: str
    direction: str  # "en → de" (English need) or "de → de" (the profile's own language)
    profiles: int
    median_rank: float  # math.inf when most are not found within the depth
    top10: float  # share found at rank 1..10
    mrr: float
    ranks: dict[str, int | None] = field(default_factory=dict)  # external_id -> rank (1-based)


@dataclass
class MultilingualReport:
    agreement: list[LanguageAgreement]
    finding: list[FindingFigures]
    k: int
    depth: int


def _jsonl(name: str, path: Path | None) -> list[dict[str, Any]]:
    lines = (path or DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def load_needs(path: Path | None = None) -> list[Need]:
    """The needs of needs.jsonl, each in English and eight other languages."""
    return [
        Need(r["id"], r["persona"], r["sector"], dict(r["text"]))
        for r in _jsonl("needs.jsonl", path)
    ]


def load_profiles(path: Path | None = None, needs_path: Path | None = None) -> list[ExampleProfile]:
    """The non-English example profiles (profiles.jsonl) joined with their needs
    (profile_needs.jsonl)."""
    wanted = {r["external_id"]: r for r in _jsonl("profile_needs.jsonl", needs_path)}
    profiles = []
    for record in _jsonl("profiles.jsonl", path):
        need = wanted[record["external_id"]]
        profiles.append(
            ExampleProfile(record["external_id"], need["language"], record, need["en"], need["own"])
        )
    return profiles


def overlap_at(a: Sequence[int], b: Sequence[int], k: int = 10) -> float:
    """|A ∩ B| / k for the first k of each list."""
    return len(set(a[:k]) & set(b[:k])) / k


def rbo(a: Sequence[int], b: Sequence[int], p: float = 0.9) -> float:
    """Extrapolated rank-biased overlap of two rankings, lists of uneven length allowed.

    Webber, Moffat & Zobel (2010), "A similarity measure for indefinite rankings", ACM TOIS
    28(4), eq. 32 (RBO_ext). The PyPI package `rbo` implements it too, but pins numpy below 2,
    which this project cannot take. 1.0 for identical rankings, 0.0 for disjoint ones."""
    if not a and not b:
        return 1.0
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    s, depth = len(short), len(long)
    if s == 0:
        return 0.0

    def shared(d: int) -> int:  # X_d; the short list stops growing at depth s
        return len(set(short[: min(d, s)]) & set(long[:d]))

    x_s = shared(s)
    total = sum(shared(d) / d * p**d for d in range(1, depth + 1))
    total += sum(x_s * (d - s) / (s * d) * p**d for d in range(s + 1, depth + 1))
    x_l = shared(depth)
    return (1 - p) / p * total + ((x_l - x_s) / depth + x_s / s) * p**depth


def measure_agreement(
    rank: Ranker,
    needs: Iterable[Need],
    *,
    k: int = 10,
    p: float = 0.9,
    languages: Sequence[str] = LANGUAGES[1:],
) -> list[LanguageAgreement]:
    """Per language: mean top-k overlap and RBO of each translated need with its English need."""
    per_language: dict[str, dict[str, tuple[float, float]]] = {lang: {} for lang in languages}
    for need in needs:
        english = rank(need.text["en"], k)
        for lang in languages:
            ranked = rank(need.text[lang], k)
            per_language[lang][need.id] = (overlap_at(ranked, english, k), rbo(ranked, english, p))
    return [
        LanguageAgreement(
            language=lang,
            needs=len(scores),
            overlap=statistics.fmean(s[0] for s in scores.values()) if scores else 0.0,
            rbo=statistics.fmean(s[1] for s in scores.values()) if scores else 0.0,
            per_need=scores,
        )
        for lang, scores in per_language.items()
    ]


def _figures(language: str, direction: str, ranks: dict[str, int | None]) -> FindingFigures:
    values = [r if r is not None else math.inf for r in ranks.values()]
    return FindingFigures(
        language=language,
        direction=direction,
        profiles=len(values),
        median_rank=statistics.median(values) if values else math.inf,
        top10=sum(v <= 10 for v in values) / len(values) if values else 0.0,
        mrr=statistics.fmean(1 / v for v in values) if values else 0.0,
        ranks=ranks,
    )


def measure_finding(
    rank: Ranker, profiles: Iterable[ExampleProfile], ids: Mapping[str, int], *, depth: int = 100
) -> list[FindingFigures]:
    """Per profile language: the rank at which each profile's English need, and its own-language
    need, finds it among the first `depth` results (`ids`: external_id -> the ranker's id)."""
    found: dict[tuple[str, str], dict[str, int | None]] = {}
    for profile in profiles:
        target = ids[profile.external_id]
        for source, text in (("en", profile.en_need), (profile.language, profile.own_need)):
            ranked = rank(text, depth)
            position = ranked.index(target) + 1 if target in ranked else None
            found.setdefault((profile.language, source), {})[profile.external_id] = position
    return [
        _figures(lang, f"{source} → {lang}", ranks)
        for (lang, source), ranks in sorted(
            found.items(), key=lambda kv: (kv[0][0], kv[0][1] != "en")
        )
    ]


def measure(
    rank: Ranker,
    *,
    ids: Mapping[str, int],
    needs: Sequence[Need] | None = None,
    profiles: Sequence[ExampleProfile] | None = None,
    k: int = 10,
    depth: int = 100,
    p: float = 0.9,
) -> MultilingualReport:
    """Both measures on the package data (or the given needs and profiles)."""
    return MultilingualReport(
        agreement=measure_agreement(rank, needs if needs is not None else load_needs(), k=k, p=p),
        finding=measure_finding(
            rank, profiles if profiles is not None else load_profiles(), ids, depth=depth
        ),
        k=k,
        depth=depth,
    )


def _rank_text(value: float, depth: int) -> str:
    return f"> {depth}" if math.isinf(value) else f"{value:g}"


def render_markdown(report: MultilingualReport) -> str:
    """The two tables: agreement with English per language, and finding the profiles."""
    lines = [
        f"| language | needs | top-{report.k} overlap with English | RBO (p=0.9) |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {a.language} | {a.needs} | {a.overlap:.3f} | {a.rbo:.3f} |" for a in report.agreement
    ]
    if report.agreement:
        lines.append(
            f"| **mean** | | {statistics.fmean(a.overlap for a in report.agreement):.3f} "
            f"| {statistics.fmean(a.rbo for a in report.agreement):.3f} |"
        )
    lines += [
        "",
        f"| need → profile language | profiles | median rank (of {report.depth}) "
        "| share in top 10 | MRR |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {f.direction} | {f.profiles} | {_rank_text(f.median_rank, report.depth)} "
        f"| {f.top10:.2f} | {f.mrr:.3f} |"
        for f in report.finding
    ]
    return "\n".join(lines) + "\n"
