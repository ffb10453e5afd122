"""JSON schemas for kubeconform, made offline: from the OpenAPI document the
Kubernetes module ships (api/openapi-spec/swagger.json) and from KEDA's CRDs
(config/crd/bases), both from the Go module proxy. Without them kubeconform
would fetch schemas from the internet.

One file per kind and version, named as kubeconform's
`{{.ResourceKind}}{{.KindSuffix}}.json` template asks (`deployment-apps-v1.json`,
`scaledobject-keda-v1alpha1.json`), each standing alone (the definitions it
uses inside it) and strict: an object's unknown field is an error, as
kubectl's own validation has it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from devstack import k8s_tools

TEMPLATE = "{{.ResourceKind}}{{.KindSuffix}}.json"
# What the apiserver accepts for a quantity ("500m", "1Gi", or a bare number).
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"

Schema = Any


def folder() -> Path:
    return (k8s_tools.CACHE / "k8s" /
            f"schemas-{k8s_tools.KUBE_VERSION}-keda-{k8s_tools.KEDA_VERSION}")


def file_name(group: str, version: str, kind: str) -> str:
    """kubeconform's name for a kind: the group's first label, then the version."""
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    return f"{kind.lower()}{suffix}.json"


def strict(schema: Schema) -> Schema:
    """Every object with known properties refuses others (unless it says it
    keeps unknown fields), and int-or-string is either."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("format") == "int-or-string" or schema.get("x-kubernetes-int-or-string"):
        return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    result = {key: strict(value) for key, value in schema.items()}
    if ("properties" in result and "additionalProperties" not in result
            and not result.get("x-kubernetes-preserve-unknown-fields")):
        result["additionalProperties"] = False
    return result


def _references(schema: Schema, found: set[str]) -> None:
    if isinstance(schema, dict):
        reference = schema.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/definitions/"):
            found.add(reference.removeprefix("#/definitions/"))
        for value in schema.values():
            _references(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _references(value, found)


def closure(definitions: dict[str, Schema], name: str) -> dict[str, Schema]:
    """`name` and every definition it reaches."""
    wanted, todo = {}, [name]
    while todo:
        current = todo.pop()
        if current in wanted:
            continue
        wanted[current] = definitions[current]
        found: set[str] = set()
        _references(definitions[current], found)
        todo.extend(found - set(wanted))
    return wanted


def from_swagger(swagger: dict[str, Any]) -> dict[str, Schema]:
    """One schema per kind the OpenAPI document declares, by file name."""
    definitions = {name: strict(schema) for name, schema in swagger["definitions"].items()}
    definitions[_QUANTITY] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    schemas = {}
    for name, schema in swagger["definitions"].items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            used = closure(definitions, name)
            schemas[file_name(gvk["group"], gvk["version"], gvk["kind"])] = {
                **used.pop(name), "definitions": used}
    return schemas


def from_crd(crd: dict[str, Any]) -> dict[str, Schema]:
    spec = crd["spec"]
    return {file_name(spec["group"], version["name"], spec["names"]["kind"]):
            strict(version["schema"]["openAPIV3Schema"])
            for version in spec["versions"] if version.get("served")}


def ensure() -> Path:
    """The schema folder, made once (about 10 s)."""
    target = folder()
    if (target / ".complete").exists():
        return target
    kubernetes = k8s_tools.module_dir("k8s.io/kubernetes", k8s_tools.KUBE_VERSION)
    keda = k8s_tools.module_dir("github.com/kedacore/keda/v2", k8s_tools.KEDA_VERSION)
    schemas = from_swagger(json.loads((kubernetes / "api" / "openapi-spec" / "swagger.json").read_text()))
    for path in sorted((keda / "config" / "crd" / "bases").glob("*.yaml")):
        schemas.update(from_crd(yaml.safe_load(path.read_text())))
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name, schema in schemas.items():
        (partial / name).write_text(json.dumps(schema))
    (partial / ".complete").touch()
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target
