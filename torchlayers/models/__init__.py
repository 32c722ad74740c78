"""Models built only from torchlayers operations."""
