"""THE service module: every Microsoft Graph call of Membership Desk goes through ``GraphClient``.

It knows nothing of Django requests or templates. ``client`` is the face (reads, and changes that
never raise); ``transport`` sends (bearer, timeouts, one retry policy, one ``$batch`` engine);
``paths`` builds every Graph path from validated types; ``odata`` the queries; ``errors`` reads
Graph's failures; ``writes`` and ``lookups`` are the change and bulk-read workflows.
"""

from members.graph.answers import ContainerRead
from members.graph.client import GraphClient
from members.graph.errors import GraphError
from members.graph.odata import CHANGE_CHUNK, LIST_PAGE_SIZE, PAGE_SIZE
from members.graph.transport import BatchAnswer, CallStats
from members.graph.writes import Result

__all__ = ["CHANGE_CHUNK", "LIST_PAGE_SIZE", "PAGE_SIZE", "BatchAnswer", "CallStats", "ContainerRead", "GraphClient",
           "GraphError", "Result"]
