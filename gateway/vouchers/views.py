"""/v1/vouchers/providers: knowledge providers for an innovation voucher."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.deps import CallerDep, ServicesDep
from gateway.openapi import COMMON, errors
from gateway.vouchers.service import find_providers
from models.journeys import VoucherProviders, VoucherRequest

router = APIRouter(tags=["vouchers"], responses=COMMON)


@router.post("/vouchers/providers", response_model=VoucherProviders, responses=errors(404))
async def post_voucher_providers(
    voucher_in: VoucherRequest, caller: CallerDep, services: ServicesDep
) -> VoucherProviders:
    """Knowledge providers for an innovation voucher, outside the applicant's region."""
    return await find_providers(services=services, voucher_in=voucher_in)
