"""The kernel every app shares: fields, crypto, htmx and paging, dates, leases.

It knows no app: apps plug into it (notify, show-once) when they start.
"""
