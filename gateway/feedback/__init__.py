"""/v1/feedback: people and hubs mark suggested partners; the marks shape their own results
(exclusions, boosts) and, aggregated and capped, everyone's ranking."""

from gateway.feedback.identity import FeedbackIdentity, identify, remember_visitor
from gateway.feedback.service import scoped_options
from gateway.feedback.views import router

__all__ = ["FeedbackIdentity", "identify", "remember_visitor", "router", "scoped_options"]
