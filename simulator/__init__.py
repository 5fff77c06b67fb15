"""A local simulator of the Vobiz REST API (plain Python, no Django).

Start it with ``python -m simulator`` or, from tests,
``simulator.server.start_in_thread``. The contract it follows is
``docs/vobiz-api.md`` §17; the control API for fault injection lives under
``/__sim__/`` (see ``control.py``).
"""

__all__: list[str] = []
