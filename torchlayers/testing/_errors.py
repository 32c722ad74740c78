"""Errors as the reference raises them: the same exception type and the same message for the same
bad call. Used by the audit's ``errors`` check and by the project's module tests."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

from torchlayers.testing.registry import ErrorInput, SampleInput

__all__ = ["as_error_input", "assert_same_error", "raised"]


def raised(call: Callable[[], object]) -> Exception | None:
    """The exception ``call()`` raises, or None. Warnings are not errors here (the references
    warn about deprecated arguments while they raise)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call()
        except Exception as error:  # the exception itself is what is compared
            return error
    return None


def _describe(error: Exception | None) -> str:
    return "no exception" if error is None else f"{type(error).__name__}({str(error)!r})"


def assert_same_error(
    ours: Callable[[], object],
    theirs: Callable[[], object],
    expected: type[Exception] | None = None,
    match: str | None = None,
) -> None:
    """AssertionError unless ``ours()`` raises what ``theirs()`` raises: the same type and
    ``str``, or, with ``match``, messages that both match it in full. ``expected``: the type
    ``theirs()`` must raise (an entry whose reference no longer raises it is out of date)."""
    their_error, our_error = raised(theirs), raised(ours)
    if expected is not None and type(their_error) is not expected:
        raise AssertionError(f"the reference raised {_describe(their_error)}, expected {expected.__name__}")
    if their_error is None:
        if our_error is not None:
            raise AssertionError(f"raised {_describe(our_error)} where the reference raised nothing")
        return
    same_type = type(our_error) is type(their_error)
    if match is None:
        same_message = same_type and str(our_error) == str(their_error)
    else:
        messages = (str(our_error), str(their_error))
        same_message = same_type and all(re.fullmatch(match, m, re.DOTALL) for m in messages)
    if not same_message:
        raise AssertionError(f"raised {_describe(our_error)}, the reference {_describe(their_error)}")


def as_error_input(entry) -> ErrorInput:
    """An :class:`ErrorInput` from one, or from a ``(sample, error[, match])`` tuple whose sample
    is a :class:`SampleInput` or an argument tuple."""
    if isinstance(entry, ErrorInput):
        return entry
    sample, *rest = entry
    return ErrorInput(sample if isinstance(sample, SampleInput) else SampleInput(tuple(sample)), *rest)
