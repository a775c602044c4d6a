"""A matcher process loads its learned ranker without importing scikit-learn (LightGBM's
package would import it for an API scoring never uses: most of the ranker's share of a
restart), and the booster it loads scores exactly as one loaded with scikit-learn present."""

from __future__ import annotations

import json
import subprocess
import sys

import lightgbm
import numpy as np

from services.matcher.ranking import FEATURE_NAMES
from services.matcher.ranking.learned import MODEL, PACKAGED

CODE = """
import json, sys
import numpy as np
from services.matcher.config import default_model
from services.matcher.ranking.learned import load_ranker
ranker = load_ranker("auto", None, default_model())
features = np.array(json.loads(sys.stdin.read()), dtype=np.float32)
print(json.dumps({"sklearn": "sklearn" in sys.modules, "lightgbm": "lightgbm" in sys.modules,
                  "loaded": ranker is not None, "scores": ranker.raw(features).tolist()}))
"""


def test_the_ranker_loads_without_scikit_learn_and_scores_the_same() -> None:
    features = np.random.default_rng(7).random((200, len(FEATURE_NAMES)), dtype=np.float32)
    done = subprocess.run(
        [sys.executable, "-c", CODE],
        input=json.dumps(features.tolist()),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["loaded"] and got["lightgbm"], done.stderr[-2000:]
    assert got["sklearn"] is False
    reference = lightgbm.Booster(model_file=str(PACKAGED / MODEL))  # scikit-learn imported here
    want = reference.predict(features, num_threads=1)
    assert np.array_equal(np.array(got["scores"]), want)
    assert len(set(want.tolist())) > 1  # the model scores these rows differently
