"""The OpenAPI 3.1 document, built from the route table and the pydantic models it names."""

from __future__ import annotations

import re
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from services.gateway import models
from services.gateway.routes import ROUTES

_ERROR_TEXT = {
    400: "Invalid input; `details.field` names the field. Nothing was written.",
    401: "Missing or unknown bearer token.",
    403: "The caller's role (capped by its token's scopes) is below the one this route needs; "
    "`details.required_role` names it.",
    404: "No such object in this workspace.",
    409: "The current state refuses the request; `error.code` says why.",
    413: "The body is too large.",
    422: "A live check refused it (e.g. a login failed); nothing changed.",
    429: "Too many attempts; `Retry-After` (seconds) says when to try again.",
    503: "Not ready, or not configured.",
}


# Said for every string of a request that has no stricter pattern of its own.
NO_NUL = models.NO_NUL


class _Schemas(GenerateJsonSchema):
    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        generated = super().str_schema(schema)
        if self.mode == "validation":
            generated.setdefault("pattern", NO_NUL)
        return generated

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        # pydantic states a key pattern as patternProperties, which lets any other key through unchecked: the
        # keys' rule is propertyNames, the values' additionalProperties.
        generated = super().dict_schema(schema)
        by_key = generated.get("patternProperties", {})
        if list(by_key) == [NO_NUL]:
            generated.pop("patternProperties")
            generated["propertyNames"] = {"pattern": NO_NUL}
            generated["additionalProperties"] = by_key[NO_NUL]
        return generated


def build() -> dict[str, Any]:
    used: set[type[BaseModel]] = {models.ErrorOut}
    for route in ROUTES:
        used.update(m for m in (route.body, route.response) if m is not None)
    _, schema = models_json_schema(
        [
            (m, "validation" if issubclass(m, models.Request) else "serialization")
            for m in sorted(used, key=lambda m: m.__name__)
        ],
        ref_template="#/components/schemas/{model}",
        schema_generator=_Schemas,
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        op: dict[str, Any] = {
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": route.handler.__name__
            if route.handler.__name__ != "handler"
            else route.path.rsplit("/", 1)[-1] + "_campaign",
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
            for name in re.findall(r"{(\w+)}", route.path)
        ]
        if route.query is not None:
            for name, fld in route.query.model_fields.items():
                # A query's text is refused with NUL in it (api.check_text), as a body's.
                text = {"type": "string", "pattern": NO_NUL}
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", **_bounds(fld)}
                        if fld.annotation is int
                        else {**text, **_bounds(fld)},
                    }
                )
        if params:
            op["parameters"] = params
        if route.body is not None:
            op["requestBody"] = {
                "required": bool(route.body.model_fields),
                "content": {"application/json": {"schema": _ref(route.body)}},
            }
        elif route.raw_body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.raw_body}}}
        ok: dict[str, Any] = {"description": "OK"}
        if route.response is not None:
            ok["content"] = {"application/json": {"schema": _ref(route.response)}}
        op["responses"] = {str(route.status): ok}
        for code in route.errors + ((413,) if route.body is not None else ()):
            op["responses"][str(code)] = {
                "description": _ERROR_TEXT[code],
                "content": {"application/json": {"schema": _ref(models.ErrorOut)}},
            }
        if route.auth:
            # A bearer token (integrations), or the web UI's session cookie (changes also need X-CSRF-Token).
            op["security"] = [{"bearer": []}, {"session": []}]
            # Who may call it: the least role (services/common/roles.py), in the document and its description.
            op["x-holdfast-role"] = route.required_role.word
            op["description"] = f"Needs the {route.required_role.word} role or higher."
            if "403" not in op["responses"]:
                op["responses"]["403"] = {
                    "description": _ERROR_TEXT[403],
                    "content": {"application/json": {"schema": _ref(models.ErrorOut)}},
                }
        paths.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Holdfast API",
            "version": "1",
            "description": "Outreach campaigns that pause safely and resume without a burst.",
        },
        "paths": paths,
        "components": {
            "schemas": {**schema.get("$defs", {}), "JsonWithoutNul": models.JSON_WITHOUT_NUL},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "holdfast_session",
                    "description": "the web UI's session (POST /api/v1/sign-in); a change made "
                    "with it needs the X-CSRF-Token header, the holdfast_csrf cookie's value",
                },
            },
        },
    }


def _bounds(fld: FieldInfo) -> dict[str, Any]:
    """The field's ge/le constraints as JSON Schema minimum/maximum."""
    bounds: dict[str, Any] = {}
    for constraint in fld.metadata:
        if isinstance(constraint, annotated_types.Ge):
            bounds["minimum"] = constraint.ge
        elif isinstance(constraint, annotated_types.Le):
            bounds["maximum"] = constraint.le
    extra = fld.json_schema_extra if isinstance(fld.json_schema_extra, dict) else {}
    if "enum" in extra:  # a query parameter that takes only these words
        bounds["enum"] = extra["enum"]
    return bounds


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}
