"""The tasks: each opens its own transaction, calls a service, commits; nothing else.

Task names are the outbox topics services write, so the relay publishes a row as the task of
the same name; periodic tasks are named in :mod:`vet_clinic_jobs.beat`.
"""
