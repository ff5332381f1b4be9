"""A small JSON Schema validator for docs/schema/*.schema.json (no pip packages here).

It reads the keywords those files use and refuses any other, so a schema cannot
silently ask for a check this validator does not make: type, properties, required,
additionalProperties (false or a schema), items, enum, minimum, maximum, maxLength
(in UTF-8 octets, as portolan cuts strings), pattern; description and the $-keys are
documentation.
"""
import json
import re
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schema"

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_CHECKED = {"type", "properties", "required", "additionalProperties", "items", "enum",
            "minimum", "maximum", "maxLength", "pattern"}
_DOCUMENTATION = {"description", "title", "$schema", "$id"}


class SchemaError(Exception):
    """The schema itself uses a keyword this validator does not know."""


def errors(value, schema, where="$"):
    """Every way value breaks schema, as 'path: what' strings; [] when it conforms."""
    unknown = set(schema) - _CHECKED - _DOCUMENTATION
    if unknown:
        raise SchemaError(f"{where}: schema keywords not supported: {sorted(unknown)}")
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_TYPES[n](value) for n in names):
            return [f"{where}: {json.dumps(value)[:80]} is not {'/'.join(names)}"]
    out = []
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {json.dumps(value)[:80]} not one of {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{where}: {value} below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{where}: {value} above {schema['maximum']}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value.encode("utf-8")) > schema["maxLength"]:
            out.append(f"{where}: string of {len(value.encode())} octets over "
                       f"{schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += errors(item, schema["items"], f"{where}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{where}: required member {key!r} missing")
        extra = schema.get("additionalProperties", True)
        for key, member in value.items():
            if key in props:
                out += errors(member, props[key], f"{where}.{key}")
            elif extra is False:
                out.append(f"{where}: member {key!r} not in the schema")
            elif isinstance(extra, dict):
                out += errors(member, extra, f"{where}.{key}")
    return out


def load(name):
    """The parsed docs/schema/<name>.schema.json, or None when there is none."""
    path = SCHEMA_DIR / f"{name}.schema.json"
    return json.loads(path.read_text()) if path.exists() else None


def load_all():
    """{dissector name: schema} for every schema file."""
    return {p.name[:-len(".schema.json")]: json.loads(p.read_text())
            for p in sorted(SCHEMA_DIR.glob("*.schema.json"))}


def record_kinds(schemas):
    """{record kind: (dissector name, record schema)} over all schemas."""
    kinds = {}
    for name, schema in schemas.items():
        for kind, record in schema.get("records", {}).items():
            kinds[kind] = (name, record)
    return kinds
