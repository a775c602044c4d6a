"""Embedding: the sentence encoder (`encode_query`, `encode_passages`) and its ONNX backend."""

from services.matcher.embedding.encoder import Backend, Encoder

__all__ = ["Backend", "Encoder"]
