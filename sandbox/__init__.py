"""A local Entra tenant: OpenID Connect sign-in and the Graph subset Membership Desk uses.

Independent of ``members`` and ``portal`` (it must stay replaceable by Microsoft's service).
"""
