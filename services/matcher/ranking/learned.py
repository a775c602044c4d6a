"""The learned ranker: a LightGBM model (text format) trained by `python -m eval.ltr` on
`features.feature_matrix` rows, with a JSON manifest next to it:

    {"features": [...FEATURE_NAMES in order...], "encoder": "<encoder label>", "trained_on": "..."}

It is read from `CROSSLINK_RANKER_MODEL` (a directory holding `model.txt` and `manifest.json`,
or the model file itself with `manifest.json` beside it), else from the packaged
`services/matcher/ranking/model/`. `CROSSLINK_RANKER` picks the ranker: `auto` (the learned one
when a valid model is present, else the linear weights), `linear`, or `learned`. A missing model,
a manifest whose features are not FEATURE_NAMES or an encoder other than the running one falls
back to the linear weights with one logged warning (at start, not per match).

The model's raw output is on no particular scale, while the public `score`, alert `min_score`
thresholds and the feedback lift are set for the linear weights' score. So the manifest carries
a `calibration`: the quantiles of the raw score and of the linear score over the top
candidates of the training queries (`eval.ltr.calibration`). `LearnedRanker.score` maps the raw
score through them (piecewise linear, extended linearly past both ends), which keeps the
model's order and puts its scores on the linear score's scale: a score reached by the top 5%
of the linear ranking's candidates is reached by the top 5% of the model's. A manifest without
one gives the raw score.

Loading a model imports LightGBM. Its package imports scikit-learn when it is installed (for
its `LGBMRanker`-style API, ~1.3 s of a matcher's start), which scoring a `Booster` never uses:
a process that has imported neither loads LightGBM without it (`lightgbm.compat` takes
scikit-learn as absent), so in a `crosslink serve matcher` process `lightgbm.LGBMRanker` and
friends raise LightGBM's "scikit-learn is required"; import lightgbm first (as `eval` and the
tests do) to have them. The booster and its predictions are the same either way.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from services.matcher.ranking.features import FEATURE_NAMES

if TYPE_CHECKING:  # imported when a model is loaded: LightGBM pulls in scikit-learn and SciPy
    import lightgbm  # (~1.6 s of a matcher's start when there is no model to load)

__all__ = [
    "MANIFEST",
    "MODEL",
    "Calibration",
    "PACKAGED",
    "LearnedRanker",
    "RankerMode",
    "encoder_label",
    "import_lightgbm",
    "load_ranker",
]

log = logging.getLogger("crosslink.matcher.ranker")

RankerMode = Literal["auto", "linear", "learned"]
PACKAGED = Path(__file__).parent / "model"
MODEL = "model.txt"
MANIFEST = "manifest.json"


_import_lock = threading.Lock()


def import_lightgbm() -> types.ModuleType:
    """`lightgbm`, imported without scikit-learn unless one of them is imported already."""
    with _import_lock:
        if "lightgbm" in sys.modules or "sklearn" in sys.modules:
            import lightgbm

            return lightgbm
        sys.modules["sklearn"] = None  # type: ignore[assignment]  # import sklearn: ImportError
        try:
            import lightgbm
        finally:
            del sys.modules["sklearn"]
        return lightgbm


def encoder_label(name: str) -> str:
    """The encoder as a manifest names it: the model's last two path parts (a hub name such as
    `sentence-transformers/all-MiniLM-L6-v2`, or a packaged directory), without the backend (the
    ONNX and torch backends agree to ~0.99 cosine)."""
    return "/".join(Path(name.split("#", 1)[0]).parts[-2:])


@dataclass(frozen=True)
class Calibration:
    """A strictly increasing map from the model's raw score onto the linear score's scale."""

    raw: np.ndarray  # strictly increasing knots of the raw score
    score: np.ndarray  # the score at each knot, strictly increasing

    @classmethod
    def parse(cls, value: object) -> Calibration | None:
        """From the manifest's `{"raw": [...], "score": [...]}`; None when absent.

        Raises:
            ValueError: when it is present but not two increasing lists of equal length ≥ 2.
        """
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError("calibration is not an object")
        raw = np.asarray(value.get("raw"), dtype=np.float64)
        score = np.asarray(value.get("score"), dtype=np.float64)
        if raw.ndim != 1 or raw.shape != score.shape or len(raw) < 2:
            raise ValueError("calibration wants 'raw' and 'score' lists of one length ≥ 2")
        if not (np.all(np.diff(raw) > 0) and np.all(np.diff(score) > 0)):
            raise ValueError("calibration knots must be strictly increasing")
        if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(score))):
            raise ValueError("calibration knots must be finite")
        return cls(raw, score)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        inside = np.interp(raw, self.raw, self.score)
        low = (self.score[1] - self.score[0]) / (self.raw[1] - self.raw[0])
        high = (self.score[-1] - self.score[-2]) / (self.raw[-1] - self.raw[-2])
        below = self.score[0] + (raw - self.raw[0]) * low
        above = self.score[-1] + (raw - self.raw[-1]) * high
        result: np.ndarray = np.where(
            raw < self.raw[0], below, np.where(raw > self.raw[-1], above, inside)
        )
        return result


@dataclass(frozen=True)
class LearnedRanker:
    """A loaded model and the manifest it was checked against."""

    booster: lightgbm.Booster
    manifest: dict[str, object]
    path: Path
    calibration: Calibration | None = None

    def raw(self, features: np.ndarray) -> np.ndarray:
        """The model's own output per row of a `feature_matrix` (higher ranks first)."""
        if not len(features):
            return np.zeros(0, dtype=np.float64)
        return np.asarray(self.booster.predict(features, num_threads=1), dtype=np.float64)

    def score(self, features: np.ndarray) -> np.ndarray:
        """One score per row, on the linear score's scale when the model is calibrated."""
        raw = self.raw(features)
        return self.calibration(raw) if self.calibration is not None and len(raw) else raw


def _paths(location: Path) -> tuple[Path, Path]:
    if location.is_dir():
        return location / MODEL, location / MANIFEST
    return location, location.with_name(MANIFEST)


def _check(location: Path, encoder: str) -> tuple[LearnedRanker | None, str]:
    model, manifest_path = _paths(location)
    if not model.is_file() or not manifest_path.is_file():
        return None, f"no ranker model at {location} (want {MODEL} and {MANIFEST})"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"the ranker manifest {manifest_path} is unreadable: {exc}"
    if not isinstance(manifest, dict):
        return None, f"the ranker manifest {manifest_path} is not a JSON object"
    features = manifest.get("features")
    if features != list(FEATURE_NAMES):
        return None, (
            f"the ranker model at {location} was trained on other features "
            f"({features!r:.200}); this matcher computes {list(FEATURE_NAMES)!r:.200}"
        )
    trained_with = manifest.get("encoder")
    if trained_with != encoder_label(encoder):
        return None, (
            f"the ranker model at {location} was trained with encoder {trained_with!r}; "
            f"this matcher runs {encoder_label(encoder)!r}"
        )
    try:
        calibration = Calibration.parse(manifest.get("calibration"))
    except ValueError as exc:
        return None, f"the ranker manifest {manifest_path} has a bad calibration: {exc}"
    lightgbm = import_lightgbm()
    try:
        booster = lightgbm.Booster(model_file=str(model))
    except lightgbm.basic.LightGBMError as exc:
        return None, f"the ranker model {model} cannot be loaded: {exc}"
    if booster.num_feature() != len(FEATURE_NAMES):
        return None, (
            f"the ranker model {model} takes {booster.num_feature()} features, "
            f"not {len(FEATURE_NAMES)}"
        )
    return LearnedRanker(booster, manifest, model, calibration), ""


def load_ranker(mode: RankerMode, location: Path | None, encoder: str) -> LearnedRanker | None:
    """The learned ranker the settings ask for, or None for the linear weights (with one
    warning when a model was wanted but is missing or does not fit this matcher).

    Args:
        mode: `CROSSLINK_RANKER`.
        location: `CROSSLINK_RANKER_MODEL`, or None for the packaged model.
        encoder: the running encoder's name (`Encoder.name`).
    """
    if mode == "linear":
        return None
    ranker, problem = _check(location if location is not None else PACKAGED, encoder)
    if ranker is None:
        log.warning("%s; ranking with the linear weights", problem)
        return None
    trained_on = ranker.manifest.get("trained_on")
    log.info("ranking with the learned model %s (trained on %s)", ranker.path, trained_on)
    return ranker
