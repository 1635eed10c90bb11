"""Environment adapters (Procgen for Gymnasium and SB3)."""


def register_envs() -> None:
    """Register this package's Gymnasium ids (idempotent). Filled in by the Procgen adapter."""
