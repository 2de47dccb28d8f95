"""Identity and access: Clerk session tokens, Clerk webhooks, API keys, and who may do what."""

from vet_services.auth.permissions import Action, Actor, Resource, authorize, require_role

__all__ = ["Action", "Actor", "Resource", "authorize", "require_role"]
