"""Innovation vouchers: knowledge providers outside the applicant's region."""

from gateway.vouchers.service import find_providers
from gateway.vouchers.views import router

__all__ = ["find_providers", "router"]
