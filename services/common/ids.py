from __future__ import annotations

import uuid

from services.common.errors import InvalidArgument, NotFound


def parse_uuid(value: str, field: str, *, missing_is_not_found: bool = False) -> str:
    """Validate an id. Ids in URLs that do not parse answer 404 (no such object), elsewhere 400."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        if missing_is_not_found:
            raise NotFound(f"{field.removesuffix('_id')} not found") from None
        raise InvalidArgument(f"{field} must be a UUID", field=field) from None
