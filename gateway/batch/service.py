"""Hub batch: many queries, one result list each, in order, errors in their slots."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ValidationError

from crosslink.errors import CrosslinkError, invalid_input_from
from gateway.deps import Services
from gateway.matching import match_profile, match_text
from gateway.upstream import UpstreamRejected
from models.common import ErrorDetail
from models.journeys import BatchItem, BatchQuery, BatchRequest, BatchResult
from models.matching import MatchesPublic, MatchOptions, MatchRequest

CONCURRENCY = 4
_UPSTREAM_DOWN = {"upstream_unavailable", "upstream_timeout", "not_ready"}


def _error(exc: CrosslinkError) -> ErrorDetail:
    return ErrorDetail(code=exc.code, message=exc.message, details=exc.details)


async def _run_one(query: BatchQuery, *, services: Services, limit: int) -> MatchesPublic:
    if query.profile_id is not None:
        options = MatchOptions(filters=query.filters, limit=limit)
        return await match_profile(services=services, profile_id=query.profile_id, options=options)
    assert query.text is not None
    match_in = MatchRequest(text=query.text, filters=query.filters, limit=limit)
    return await match_text(services=services, match_in=match_in)


async def run_batch(*, services: Services, batch_in: BatchRequest) -> BatchResult:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int, raw: Any) -> BatchItem:
        try:
            query = BatchQuery.model_validate(raw)
        except ValidationError as exc:
            error = _error(invalid_input_from(exc, fallback="query"))
            return BatchItem(index=index, status="error", error=error)
        try:
            async with gate:
                matches = await _run_one(query, services=services, limit=batch_in.limit)
        except CrosslinkError as exc:
            return BatchItem(index=index, status="error", error=_error(exc))
        return BatchItem(index=index, status="ok", data=matches.data, count=matches.count)

    results = await asyncio.gather(*(one(i, raw) for i, raw in enumerate(batch_in.queries)))
    failed = [r for r in results if r.status == "error"]
    if failed and len(failed) == len(results):
        codes = {r.error.code for r in failed if r.error}
        if codes <= _UPSTREAM_DOWN:  # nothing could be answered: say so plainly
            first = failed[0].error
            assert first is not None
            status = {"upstream_timeout": 504}.get(first.code, 503)
            raise UpstreamRejected(status, first.code, first.message, first.details)
    return BatchResult(results=list(results), ok=len(results) - len(failed), failed=len(failed))
