"""The Vobiz integration: the client factory, sync runs, the registry of sync kinds.

Everything that connects the portal to Vobiz starts here; the domain apps keep
only their field mapping and drift rules (their `sync.py`).
"""
