"""One error style for every asset: a step that cannot go on raises `dagster.Failure`, whose
description is the one line the UI, the run log and the failure alert show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Failure


@contextmanager
def refused_as_failure() -> Iterator[None]:
    """The library refuses bad input with a ValueError (or a subclass such as OpenDataError);
    in an asset it becomes the step's Failure, with the same message."""
    try:
        yield
    except ValueError as error:
        raise Failure(description=str(error)) from error
