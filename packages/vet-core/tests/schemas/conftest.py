"""Fixtures of the schema tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]


def _errors_of(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return {
        ".".join(str(part) for part in error["loc"]): error["msg"] for error in info.value.errors()
    }


@pytest.fixture
def errors_of() -> ErrorsOf:
    """Validate data expecting failure; return ``{"field.path": message}`` ("" = whole model)."""
    return _errors_of
