"""Hyper-parameter searches (see ``recipe.py``)."""
