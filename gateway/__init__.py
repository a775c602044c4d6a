"""The one public API (/v1), by domain: profiles, matching, batch, vouchers, visits, intel and
access (keys, callers, rate limits), each with its views and its service; `web` holds the pages.
`upstream` is the client of the internal services, `app` composes the routers."""

__all__: list[str] = []
