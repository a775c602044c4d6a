"""The ONNX backends start without sentence-transformers and torch (most of a restart's time
was importing them): the same tokens, windows and vectors as through sentence-transformers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from transformers import AutoTokenizer

from services.matcher.config import default_model
from services.matcher.embedding import Encoder
from services.matcher.embedding.local import FastTokenizer, read_local_model
from services.matcher.text.passages import Splitter
from tests.factories import SAMPLES

TEXTS = [s["description"] for s in SAMPLES] + [
    " ".join(s["description"] for s in SAMPLES),  # longer than one window: overflowing windows
    "",
    "Ünïcödé – Straße, naïve café; 東京 and emoji 🙂 too.",
]


def test_fast_tokenizer_cuts_and_tokenises_like_transformers() -> None:
    local = read_local_model(default_model())
    assert local is not None and (local.dimension, local.max_seq_length) == (384, 256)
    reference = AutoTokenizer.from_pretrained(default_model())
    fast = FastTokenizer(local.path)
    texts = [t for t in TEXTS if t]
    for kwargs in (
        {"truncation": True, "max_length": 256},
        {
            "add_special_tokens": False,
            "truncation": True,
            "max_length": 64,
            "stride": 16,
            "return_overflowing_tokens": True,
            "return_offsets_mapping": True,
        },
    ):
        got, want = fast(texts, **kwargs), reference(texts, **kwargs)
        for key in got:
            assert (
                [list(map(tuple, x)) if key == "offset_mapping" else x for x in got[key]]
                == [[tuple(o) for o in x] if key == "offset_mapping" else x for x in want[key]]
                if isinstance(got[key][0], list)
                else got[key] == want[key]
            ), key
    assert Splitter(fast, 254, 32).split_many(TEXTS) == Splitter(reference, 254, 32).split_many(
        TEXTS
    )


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_onnx_encoder_starts_without_torch_and_embeds_the_same(
    encoder: Encoder, cache_dir: Path
) -> None:
    fast = Encoder(default_model(), backend="onnx", cache_dir=cache_dir)  # exports once
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from services.matcher.config import default_model\n"
        "from services.matcher.embedding import Encoder\n"
        f"e = Encoder(default_model(), backend='onnx', cache_dir=Path({str(cache_dir)!r}))\n"
        "e.encode(['laser welding'])\n"
        "print(sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr[-2000:]
    assert fast.dimension == encoder.dimension and fast.window == encoder.window
    reference, got = encoder.encode(TEXTS[:-1]), fast.encode(TEXTS[:-1])
    assert (reference * got).sum(axis=1).min() > 0.999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
