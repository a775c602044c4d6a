"""Keeps the engine's `FeedbackBoard` current: polls the profiles service's aggregated
endorsement counts (`GET /feedback/counts`). Exclusions need no sync: the gateway sends the
caller's with each match, so a restarted matcher hides exactly what it hid before."""

from __future__ import annotations

import asyncio
import logging

import httpx

from models.feedback import FeedbackCounts
from services.matcher.ranking.feedback import FeedbackBoard

__all__ = ["sync_feedback", "sync_feedback_once"]

log = logging.getLogger("crosslink.matcher.feedback")


async def sync_feedback_once(board: FeedbackBoard, client: httpx.AsyncClient) -> bool:
    """Fetch the counts once; False (and the previous counts kept) when that fails."""
    try:
        response = await client.get("/feedback/counts")
        response.raise_for_status()
        counts = FeedbackCounts.model_validate_json(response.content)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("reading the feedback counts failed (%s); keeping the last ones", exc)
        return False
    board.replace(counts.counts)
    return True


async def sync_feedback(board: FeedbackBoard, client: httpx.AsyncClient, interval: float) -> None:
    while True:
        await sync_feedback_once(board, client)
        await asyncio.sleep(interval)
