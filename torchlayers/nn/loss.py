"""Loss modules (filled in by the losses work)."""

__all__: list[str] = []
