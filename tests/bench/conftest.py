"""The benchmark tests' fixtures: the small CORDIS tables of the evaluation's tests."""

from tests.eval.conftest import cordis_dir

__all__ = ["cordis_dir"]
