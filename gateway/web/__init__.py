"""Web pages for people: partner search, profile pages and the visit planner."""
