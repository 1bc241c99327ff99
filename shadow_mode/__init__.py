"""Shadow pilots: the same engine beside the front desk, recording what it would have done.

It never acts: queries run read-only inside a transaction that is rolled back, and commands
(bookings, CRM writes, tickets, outbound calls) are recorded, never performed.
"""
