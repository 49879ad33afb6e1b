"""The sandbox's Microsoft Graph emulation (GRAPH.md is its specification).

``sandbox.graph_views`` adapts HTTP to a ``Call``; ``routing`` finds the handler for a path;
``reads``/``writes``/``batch`` answer; ``shapes`` renders objects as Graph does; ``errors``
holds the error catalogue. ``$batch`` dispatches its items to the same handlers, without HTTP.
"""
