"""The matcher service. Its rooms: `text` (profile -> passages, tokens), `embedding` (the
encoder), `index` (the profile index and everything derived from it), `ranking` (query,
candidates, signals, weights, explanations, the engine), `intel` (cluster intelligence), `api`
(routes), and `wiring`, which builds a matcher from its settings for the app, bench and eval."""

__all__ = ["api", "config", "embedding", "index", "intel", "ranking", "text", "wiring"]
