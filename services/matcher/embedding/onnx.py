"""ONNX Runtime inference for the sentence-transformers model (fp32 or dynamic int8).

sentence-transformers' own `backend="onnx"` needs optimum-onnx, which pins transformers below
the version this project uses, so the model is exported here with torch's exporter from the
bundled weights (never downloaded) and quantised with onnxruntime's `quantize_dynamic`
(per-channel int8 weights: cosine agreement with fp32 ≈ 0.99). The files are cached under the
data dir, keyed by the weights' hash and the export scheme, and written atomically so replicas
may race safely.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["OnnxEmbedder", "build_model_files", "ensure_model_file"]

log = logging.getLogger("crosslink.matcher.onnx")

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Names how the graph is exported; a new scheme exports into a new folder. "eager": attention
# traced as plain matmul + mask + softmax. The default (torch SDPA) exports a NaN-guard
# (IsNaN + Where) after every softmax, ~16% of a long batch's time: eager passages embed
# ~10% faster on CORDIS text, with the same vectors (cosine to fp32 unchanged).
EXPORT_SCHEME = "eager"


def _weights_digest(model_dir: Path) -> str:
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(p.name for p in model_dir.glob("*.safetensors")) or ["config.json"]:
        with open(model_dir / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _atomic_target(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def _export(st_model: Any, path: Path) -> None:
    """Trace the transformer (token embeddings out) to ONNX with dynamic batch and length."""
    import torch

    hf = st_model[0].auto_model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hf = hf

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.hf(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = st_model.tokenizer(["a short text", "another one"], padding=True, return_tensors="pt")
    if "token_type_ids" not in sample:  # XLM-R tokenizers (e5) give none: BERT takes zeros
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}
    tmp = _atomic_target(path)
    try:
        with torch.no_grad():
            torch.onnx.export(
                TokenEmbeddings(),
                tuple(sample[name] for name in INPUTS),
                str(tmp),
                dynamo=False,
                input_names=list(INPUTS),
                output_names=["token_embeddings"],
                dynamic_axes=axes,
                opset_version=17,
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _quantize(source: Path, path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = _atomic_target(path)
    try:
        quantize_dynamic(source, tmp, weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build_model_files(model_dir: Path, folder: Path) -> None:
    """Export and quantise into `folder` (what `python -m services.matcher.embedding.onnx` runs)."""
    from sentence_transformers import SentenceTransformer

    folder.mkdir(parents=True, exist_ok=True)
    fp32, quantised = folder / "model.onnx", folder / "model-int8.onnx"
    if not fp32.exists():
        st_model = SentenceTransformer(
            str(model_dir),
            device="cpu",
            local_files_only=True,
            model_kwargs={"attn_implementation": EXPORT_SCHEME},
        )
        log.info("exporting %s to ONNX in %s", model_dir, folder)
        _export(st_model, fp32)
    if not quantised.exists():
        log.info("quantising %s to int8", fp32)
        _quantize(fp32, quantised)


def ensure_model_file(model_dir: Path, cache_dir: Path, *, int8: bool) -> Path:
    """The exported (and, with `int8`, quantised) model file, built once and cached. The export
    runs in a child process so the server never holds the exporter's memory."""
    folder = cache_dir / f"{model_dir.name}-{_weights_digest(model_dir)}-{EXPORT_SCHEME}"
    path = folder / ("model-int8.onnx" if int8 else "model.onnx")
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    # Replicas sharing a data dir start together: one exports, the others wait for its file
    # (onnxruntime's quantiser writes a fixed-name scratch file beside its input).
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "services.matcher.embedding.onnx",
                    str(model_dir),
                    str(folder),
                ],
                check=True,
            )
    return path


class OnnxEmbedder:
    """Mean-pooled, L2-normalised embeddings from an exported model.

    One single-threaded session. A small request (a query) runs on the caller's thread, so
    concurrent requests use the cores side by side instead of contending (measured on 2 cores:
    7.8 ms per query single-threaded, 16.5 ms with 2 spinning threads). Bulk batches run on
    `threads` workers at once, one batch each (ONNX Runtime sessions take concurrent runs):
    on CORDIS passages 2 workers embed 3-10% more per second than one run on 2 intra-op
    threads, which synchronise after every operator.

    Args:
        path: the .onnx file.
        threads: batches embedded at once in bulk (the machine's cores by default).
    """

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def embed(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """One padded batch in, (batch, dimension) normalised float32 vectors out."""
        (tokens,) = self._session.run(
            None,
            {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": np.zeros_like(input_ids),
            },
        )
        mask = attention_mask[..., None].astype(np.float32)
        pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed_many(self, batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> Iterator[np.ndarray]:
        """`embed` for each (input_ids, attention_mask) batch, in order, `threads` batches at
        a time (a few batches ahead are padded at most, so memory stays bounded)."""
        if self.threads == 1:
            yield from (self.embed(ids, mask) for ids, mask in batches)
            return
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="onnx-bulk")
        pool = self._pool
        pending: deque[Future[np.ndarray]] = deque()
        for ids, mask in batches:
            pending.append(pool.submit(self.embed, ids, mask))
            if len(pending) >= 2 * self.threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    build_model_files(Path(sys.argv[1]), Path(sys.argv[2]))
