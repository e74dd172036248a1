"""What an entry's default plot measures: the NXdata signal and its axes with units and long names, read from the
tree alone, for the landing pages' variableMeasured when a file carries no parameters (issue 27). No Django."""

import numpy as np

from ingest.nexus.reader import Group, Tree
from ingest.nexus.values import to_text


def plotted_variables(tree: Tree, entry: Group) -> list[dict[str, str]]:
    """The signal (role "signal") and its axes (role "axis"): name, unit, long name and path."""
    data = _default_data(tree, entry)
    name = to_text(data.attrs.get("signal")) if data is not None else None
    axes = data.attrs.get("axes") if data is not None else None
    if data is None or not name:  # the older style: a field marked @signal=1 names its own @axes (IPNS)
        data, name, axes = _flagged_signal(tree, entry)
    if data is None or not name or tree.field(f"{data.path}/{name}") is None:
        return []
    variables = [_variable(tree, f"{data.path}/{name}", role="signal")]
    for axis in _axis_names(axes):
        if tree.field(f"{data.path}/{axis}") is not None:
            variables.append(_variable(tree, f"{data.path}/{axis}", role="axis"))
    return variables


def _default_data(tree: Tree, entry: Group) -> Group | None:
    """The NXdata the @default chain names, else the entry's first NXdata with a @signal."""
    group: Group | None = entry
    for _ in range(4):
        name = to_text(group.attrs.get("default")) if group else None
        child = tree.group(f"{group.path}/{name}") if group and name else None
        if child is None:
            break
        group = child
    if group is not None and group.nx_class == "NXdata" and group.attrs.get("signal") is not None:
        return group
    return next((g for g in tree.subgroups(entry, "NXdata") if g.attrs.get("signal") is not None), None)


def _flagged_signal(tree: Tree, entry: Group) -> tuple[Group | None, str | None, object]:
    for group in tree.subgroups(entry, "NXdata"):
        for name, node in tree.members(group):
            if str(getattr(node, "attrs", {}).get("signal", "")).strip() in ("1", "b'1'"):
                return group, name, node.attrs.get("axes")
    return None, None, None


def _axis_names(value: object) -> list[str]:
    """NXdata @axes as a list, or the older "x:y" / "x,y" string; "." marks a dimension without an axis."""
    if value is None:
        return []
    items = [to_text(item) for item in value] if isinstance(value, list | tuple | np.ndarray) else [to_text(value)]
    names = [name.strip() for item in items if item for name in item.replace(",", ":").split(":")]
    return [name for name in dict.fromkeys(names) if name and name != "."]


def _variable(tree: Tree, path: str, *, role: str) -> dict[str, str]:
    field = tree.field(path)
    attrs = field.attrs if field else {}
    return {
        "name": path.rsplit("/", 1)[-1],
        "role": role,
        "unit": to_text(attrs.get("units")) or "",
        "long_name": to_text(attrs.get("long_name")) or "",
        "path": path,
    }
