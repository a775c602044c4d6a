"""Innovation vouchers: knowledge providers outside the applicant's region."""

from __future__ import annotations

from gateway.deps import Services
from gateway.matching import match_profile, match_text
from models.journeys import VoucherProviders, VoucherRequest
from models.matching import MatchFilters, MatchOptions, MatchRequest
from models.reference import nuts2_of


async def find_providers(*, services: Services, voucher_in: VoucherRequest) -> VoucherProviders:
    """Ranked, explained providers (research by default), none from the applicant's region."""
    excluded = nuts2_of(voucher_in.applicant_region) or voucher_in.applicant_region
    filters = MatchFilters(
        kinds=voucher_in.kinds, countries=voucher_in.countries, exclude_regions=[excluded]
    )
    if voucher_in.profile_id is not None:
        options = MatchOptions(filters=filters, limit=voucher_in.limit, include_own_region=True)
        matches = await match_profile(
            services=services, profile_id=voucher_in.profile_id, options=options
        )
    else:
        assert voucher_in.need is not None
        match_in = MatchRequest(text=voucher_in.need, filters=filters, limit=voucher_in.limit)
        matches = await match_text(services=services, match_in=match_in)
    data = [r for r in matches.data if not (r.profile.region or "").startswith(excluded)]
    return VoucherProviders(data=data, count=len(data), excluded_region=excluded)
