"""Whether a consumer built on an older version of an event can still read
the current one, judged on JSON Schemas (the published form of the contract).

A consumer of the old version breaks when a field it knew is gone, changed
type, or became optional while it relied on it being there. Adding fields is
safe: consumers ignore what they do not know.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _resolve(schema: Schema, root: Schema) -> Schema:
    ref = schema.get("$ref")
    if ref:
        return _resolve(root["$defs"][ref.rsplit("/", 1)[1]], root)
    return schema


def _shape(schema: Schema, root: Schema) -> Any:
    """The parts of a schema a reader depends on: type, format, enum, items, properties."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return ("anyOf", sorted(repr(_shape(s, root)) for s in schema["anyOf"]))
    shape: dict[str, Any] = {k: schema[k] for k in ("type", "format", "enum", "const") if k in schema}
    if "items" in schema:
        shape["items"] = _shape(schema["items"], root)
    if "properties" in schema:
        # sorted: snapshots are written with sorted keys, and order means nothing to a reader
        shape["properties"] = {k: _shape(v, root) for k, v in sorted(schema["properties"].items())}
        shape["required"] = sorted(schema.get("required", []))
    return shape


def _nullable(schema: Schema, root: Schema) -> bool:
    return any(_resolve(s, root).get("type") == "null" for s in _resolve(schema, root).get("anyOf", []))


def _object(schema: Schema, root: Schema) -> Schema | None:
    """The object schema of a field that holds an object (optionally null) or a list of them."""
    schema = _resolve(schema, root)
    options = [s for s in schema.get("anyOf", []) if _resolve(s, root).get("type") != "null"]
    if len(options) == 1:
        schema = _resolve(options[0], root)
    if schema.get("type") == "array":
        schema = _resolve(schema.get("items", {}), root)
    if "properties" in schema:
        return {**schema, "$defs": root.get("$defs", {})}
    return None


def breaking_changes(old: Schema, new: Schema, path: str = "") -> list[str]:
    """Every way `new` breaks a reader of `old`; empty when compatible."""
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name, old_field in old_props.items():
        where = f"{path}{name}"
        if name not in new_props:
            problems.append(f"{where}: removed")
            continue
        if name in old_required and name not in new_required:
            problems.append(f"{where}: no longer required")
        old_obj, new_obj = _object(old_field, old), _object(new_props[name], new)
        if old_obj is not None and new_obj is not None:
            if _nullable(new_props[name], new) and not _nullable(old_field, old):
                problems.append(f"{where}: may now be null")
            problems += breaking_changes(old_obj, new_obj, f"{where}.")
        elif _shape(old_field, old) != _shape(new_props[name], new):
            problems.append(f"{where}: type changed")
    return problems
