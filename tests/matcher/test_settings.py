"""Every matcher knob is a setting, and the code's own defaults are the settings' defaults."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.matcher.config import MatcherSettings
from services.matcher.index import FaissIndex, PassageStore, ProfileIndex
from services.matcher.intel import IntelState
from services.matcher.sync import FeedFollower

DEFAULTS = [
    (FaissIndex, "ivf_threshold", "faiss_ivf_threshold"),
    (FaissIndex, "nprobe", "faiss_nprobe"),
    (FaissIndex, "exact_below", "faiss_exact_below"),
    (ProfileIndex, "lexicon_inline_below", "bm25_inline_below"),
    (ProfileIndex, "compact_above", "passage_store_compact_above"),
    (PassageStore, "compact_above", "passage_store_compact_above"),
    (FeedFollower, "page_size", "feed_page_size"),
    (FeedFollower, "poll_interval", "poll_interval"),
    (FeedFollower, "max_backoff", "feed_max_backoff"),
    (IntelState, "settle", "intel_settle"),
]


@pytest.mark.parametrize(("cls", "argument", "setting"), DEFAULTS)
def test_code_defaults_are_the_settings_defaults(cls: type, argument: str, setting: str) -> None:
    default = inspect.signature(cls.__init__).parameters[argument].default
    assert default == MatcherSettings.model_fields[setting].default


def test_new_knobs_read_their_crosslink_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "CROSSLINK_FAISS_IVF_THRESHOLD": "0",
        "CROSSLINK_FAISS_NPROBE": "32",
        "CROSSLINK_FAISS_EXACT_BELOW": "10",
        "CROSSLINK_BM25_INLINE_BELOW": "7",
        "CROSSLINK_PASSAGE_STORE_COMPACT_ABOVE": "1024",
        "CROSSLINK_INTEL_SETTLE": "0.5",
        "CROSSLINK_INTEL_POLL_INTERVAL": "2",
        "CROSSLINK_MATCHER_FEED_MAX_BACKOFF": "1.5",
        "CROSSLINK_ENCODER_BATCH_SIZE": "16",
    }.items():
        monkeypatch.setenv(name, value)
    s = MatcherSettings()
    assert (s.faiss_ivf_threshold, s.faiss_nprobe, s.faiss_exact_below) == (0, 32, 10)
    assert (s.bm25_inline_below, s.passage_store_compact_above) == (7, 1024)
    assert (s.intel_settle, s.intel_poll_interval, s.feed_max_backoff) == (0.5, 2.0, 1.5)
    assert s.encoder_batch_size == 16


def test_a_model_path_that_is_no_directory_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CROSSLINK_MODEL=/missing fails at start with crosslink's own message, not Hugging Face's
    "Repo id must use alphanumeric chars"; directories, `e5-small` and the default pass."""
    monkeypatch.setenv("CROSSLINK_MODEL", str(tmp_path / "missing"))
    with pytest.raises(ValidationError, match="no model directory at .*missing.*CROSSLINK_MODEL"):
        MatcherSettings()
    monkeypatch.setenv("CROSSLINK_MODEL", str(tmp_path))
    assert MatcherSettings().model == str(tmp_path)
    monkeypatch.setenv("CROSSLINK_MODEL", "e5-small")
    assert MatcherSettings().model == "e5-small"
    monkeypatch.delenv("CROSSLINK_MODEL")
    assert Path(MatcherSettings().model).is_dir()
