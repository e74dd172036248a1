"""Validators shared by the models' fields."""

from django.core.exceptions import ValidationError

# No metadata nests this deep; far deeper documents (~900 levels) are stored but then break every page that encodes
# them again (Python's recursion limit), the admin's change form first.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"Nested deeper than {MAX_JSON_DEPTH} levels; keep metadata flatter."


def validate_json_depth(value: object) -> None:
    """Refuse a JSON value whose objects and arrays nest deeper than MAX_JSON_DEPTH levels."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth > MAX_JSON_DEPTH:
            raise ValidationError(TOO_DEEP)
        stack.extend((child, depth + 1) for child in children)
