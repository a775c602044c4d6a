"""Shared wire schemas (pydantic): the contract between the services. No I/O, no torch.

Import from the modules: `models.common` (constrained types, ids, the error body),
`models.profiles`, `models.matching`, `models.intel`, `models.journeys`, `models.reference`.
"""

__all__: list[str] = []
