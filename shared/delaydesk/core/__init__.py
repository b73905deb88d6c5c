"""The vocabulary every wing speaks, and the plumbing under it.

Decides nothing about an order. Owns time, settings, AWS clients, observability, signed links and
the contract's records: events and their taxonomy, carrier names, the time zones of places, the
order and its state machine, decisions, notice kinds, disruption windows, a merchant's settings
and transit statistics.
May call: nothing in delaydesk (the standard library and third-party packages only).
"""
