"""Visit plans kept for a while (in the gateway's store) so the briefing can be fetched later."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import Engine, Text
from sqlmodel import Column, Field, Session, SQLModel, col, delete

from crosslink.errors import InvalidInput, NotFound
from gateway.visits.areas import TRAVEL_NOTE
from models.journeys import VisitPlan

_PLAN_ID = re.compile(r"[0-9a-f]{32}")

_templates = Environment(
    loader=PackageLoader("gateway.visits", "templates"),
    autoescape=False,  # Markdown, not HTML
    undefined=StrictUndefined,
    trim_blocks=True,
)
_templates.globals["travel_note"] = TRAVEL_NOTE


class StoredPlan(SQLModel, table=True):
    __tablename__ = "gateway_visit_plan"

    id: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))


def create_plan_table(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[StoredPlan.__table__])  # type: ignore[attr-defined]


def save_plan(*, engine: Engine, plan: VisitPlan, ttl: float, max_bytes: int) -> None:
    """Store the plan and drop the ones older than `ttl` seconds; refuse one over `max_bytes`."""
    body = plan.model_dump_json()
    if len(body.encode()) > max_bytes:
        raise InvalidInput(
            f"this visit plan would take {len(body.encode())} bytes, over the {max_bytes} a "
            "stored plan may; plan fewer days, visits or delegation members",
            details={"limit_bytes": max_bytes},
        )
    cutoff = datetime.now(UTC) - timedelta(seconds=ttl)
    created = plan.created_at.astimezone(UTC)
    with Session(engine) as session:
        session.exec(delete(StoredPlan).where(col(StoredPlan.created_at) < cutoff))  # type: ignore[call-overload]
        session.add(StoredPlan(id=plan.plan_id, created_at=created, body=body))
        session.commit()


def replace_plan(*, engine: Engine, plan: VisitPlan) -> None:
    """Overwrite a stored plan (a rewrite keeps its id and its creation time)."""
    with Session(engine) as session:
        stored = session.get(StoredPlan, plan.plan_id)
        if stored is not None:
            stored.body = plan.model_dump_json()
            session.add(stored)
            session.commit()


def load_plan(*, engine: Engine, plan_id: str, ttl: float) -> VisitPlan:
    with Session(engine) as session:
        stored = session.get(StoredPlan, plan_id) if _PLAN_ID.fullmatch(plan_id) else None
    if stored is not None:
        plan = VisitPlan.model_validate_json(stored.body)
        if plan.created_at >= datetime.now(UTC) - timedelta(seconds=ttl):
            return plan
    raise NotFound(
        f"visit plan '{plan_id[:40]}' does not exist or has expired; plans are kept for "
        f"{ttl / 3600:g} h, POST /v1/visits/plan again"
    )


def render_briefing(plan: VisitPlan) -> str:
    return _templates.get_template("briefing.md").render(plan=plan)
