"""/api/v1: token auth, problem responses, the OpenAPI document; modules add their routes."""

from network.api import openapi  # noqa: F401  (registers /openapi.json)
from network.api.core import bp, doc, json_body, query_param
from network.chat import api as chat_api  # noqa: F401
from network.feed import api as feed_api  # noqa: F401
from network.members import api as members_api  # noqa: F401  (registers its routes)
from network.search import api as search_api  # noqa: F401
from network.skills import api as skills_api  # noqa: F401
from network.workspaces import api as workspaces_api  # noqa: F401

__all__ = ["bp", "doc", "json_body", "query_param"]
