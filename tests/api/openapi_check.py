"""Checks JSON values and real HTTP responses against docs/openapi.json.

python3-jsonschema is not available here, so this is a small JSON Schema (2020-12) checker for
the subset the document uses: $ref (to anything in the document), type (also arrays of types such
as ["string", "null"]), properties, required, additionalProperties (false or a schema), items,
enum, const, pattern, format (date, date-time, email), minLength/maxLength, minimum/maximum and
their exclusive forms, minItems/maxItems, uniqueItems, minProperties/maxProperties, allOf, anyOf,
oneOf, not. Any other validation keyword makes the check fail loudly rather than pass silently.

    from openapi_check import validate, check_response
    validate(body, "Need")                                # or "#/components/schemas/Need"
    check_response(resp, "/api/v1/needs/{id}", "get")     # status documented, body matches
"""
import datetime
import json
import os
import re

DOC_PATH = os.path.join(
    os.environ.get("RT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")),
    "docs", "openapi.json")

# Keywords that describe but do not constrain.
ANNOTATIONS = {
    "description", "title", "summary", "examples", "example", "default", "deprecated",
    "readOnly", "writeOnly", "$comment", "externalDocs", "xml", "discriminator", "contentMediaType",
    "contentEncoding", "$schema", "$id",
}
VALIDATORS = {
    "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const",
    "pattern", "format", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
    "allOf", "anyOf", "oneOf", "not",
}

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_documents = {}


class SchemaError(AssertionError):
    """The instance does not match; .problems lists every mismatch as 'path: message'."""

    def __init__(self, problems, what=""):
        self.problems = problems
        head = f"{what}: " if what else ""
        super().__init__(head + f"{len(problems)} schema problem(s):\n  " + "\n  ".join(problems))


def load_document(path=None):
    """The parsed OpenAPI document (cached per path)."""
    path = path or DOC_PATH
    if path not in _documents:
        with open(path, encoding="utf-8") as f:
            _documents[path] = json.load(f)
    return _documents[path]


def resolve(ref, document=None):
    """The object a local reference ('#/components/schemas/Need') points to."""
    document = document if document is not None else load_document()
    if not ref.startswith("#/"):
        raise KeyError(f"only local references are supported: {ref}")
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"unresolvable reference {ref}")
        node = node[part]
    return node


def _schema_of(schema_ref, document):
    if isinstance(schema_ref, dict):
        return schema_ref
    if schema_ref.startswith("#/"):
        return resolve(schema_ref, document)
    return resolve("#/components/schemas/" + schema_ref, document)


def _json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _is_type(v, t):
    jt = _json_type(v)
    if t == "number":
        return jt in ("integer", "number")
    if t == "integer":
        return jt == "integer" or (jt == "number" and float(v).is_integer())
    return jt == t


def _canon(v):
    """A hashable form in which JSON equality is Python equality (1 == 1.0, True != 1)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return (_json_type(v), v)
    if isinstance(v, (int, float)):
        return ("number", float(v))
    if isinstance(v, list):
        return ("array", tuple(_canon(x) for x in v))
    if isinstance(v, dict):
        return ("object", tuple(sorted((k, _canon(x)) for k, x in v.items())))
    return ("other", repr(v))


def _format_ok(fmt, v):
    if fmt == "date":
        if not DATE_RE.match(v):
            return False
        try:
            datetime.date.fromisoformat(v)
        except ValueError:
            return False
        return True
    if fmt == "date-time":
        m = DATE_TIME_RE.match(v)
        if not m:
            return False
        try:
            datetime.date.fromisoformat(m.group(1))
        except ValueError:
            return False
        return int(m.group(2)) < 24 and int(m.group(3)) < 60 and int(m.group(4)) < 61
    if fmt == "email":
        return bool(EMAIL_RE.match(v))
    return True  # formats this checker does not know are annotations


def errors(instance, schema, document=None, path="$"):
    """Every way instance fails schema, as a list of 'path: message' (empty when it matches)."""
    document = document if document is not None else load_document()
    out = []
    _check(instance, schema, document, path, out, 0)
    return out


def _check(v, s, doc, path, out, depth):
    if depth > 64:
        out.append(f"{path}: schema nesting too deep (a reference cycle?)")
        return
    if s is True or s == {}:
        return
    if s is False:
        out.append(f"{path}: no value is allowed here")
        return
    if not isinstance(s, dict):
        out.append(f"{path}: not a schema: {s!r}")
        return
    unknown = set(s) - VALIDATORS - ANNOTATIONS
    unknown = {k for k in unknown if not k.startswith("x-")}
    if unknown:
        out.append(f"{path}: the checker does not support {sorted(unknown)}")
        return
    if "$ref" in s:
        _check(v, resolve(s["$ref"], doc), doc, path, out, depth + 1)
    t = s.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(_is_type(v, x) for x in types):
            out.append(f"{path}: is {_json_type(v)}, not {' or '.join(types)}")
            return
    if "enum" in s and _canon(v) not in {_canon(x) for x in s["enum"]}:
        out.append(f"{path}: {v!r} is not one of {s['enum']!r}")
    if "const" in s and _canon(v) != _canon(s["const"]):
        out.append(f"{path}: {v!r} is not {s['const']!r}")
    for sub in s.get("allOf", []):
        _check(v, sub, doc, path, out, depth + 1)
    if "anyOf" in s:
        if not any(not errors(v, sub, doc, path) for sub in s["anyOf"]):
            out.append(f"{path}: matches none of anyOf")
    if "oneOf" in s:
        n = sum(1 for sub in s["oneOf"] if not errors(v, sub, doc, path))
        if n != 1:
            out.append(f"{path}: matches {n} of oneOf, not exactly one")
    if "not" in s and not errors(v, s["not"], doc, path):
        out.append(f"{path}: matches a schema it must not")

    if isinstance(v, str):
        n = len(v)  # code points, as JSON Schema counts
        if "minLength" in s and n < s["minLength"]:
            out.append(f"{path}: shorter than {s['minLength']} characters")
        if "maxLength" in s and n > s["maxLength"]:
            out.append(f"{path}: longer than {s['maxLength']} characters")
        if "pattern" in s and not re.search(s["pattern"], v):
            out.append(f"{path}: {v!r} does not match {s['pattern']}")
        if "format" in s and not _format_ok(s["format"], v):
            out.append(f"{path}: {v!r} is not a {s['format']}")
    if _json_type(v) in ("integer", "number"):
        if "minimum" in s and v < s["minimum"]:
            out.append(f"{path}: {v} is below {s['minimum']}")
        if "maximum" in s and v > s["maximum"]:
            out.append(f"{path}: {v} is above {s['maximum']}")
        if "exclusiveMinimum" in s and v <= s["exclusiveMinimum"]:
            out.append(f"{path}: {v} is not above {s['exclusiveMinimum']}")
        if "exclusiveMaximum" in s and v >= s["exclusiveMaximum"]:
            out.append(f"{path}: {v} is not below {s['exclusiveMaximum']}")
    if isinstance(v, list):
        if "minItems" in s and len(v) < s["minItems"]:
            out.append(f"{path}: fewer than {s['minItems']} items")
        if "maxItems" in s and len(v) > s["maxItems"]:
            out.append(f"{path}: more than {s['maxItems']} items")
        if s.get("uniqueItems") and len({_canon(x) for x in v}) != len(v):
            out.append(f"{path}: items repeat")
        if "items" in s:
            for i, item in enumerate(v):
                _check(item, s["items"], doc, f"{path}[{i}]", out, depth + 1)
    if isinstance(v, dict):
        props = s.get("properties", {})
        for name in s.get("required", []):
            if name not in v:
                out.append(f"{path}: lacks required {name!r}")
        if "minProperties" in s and len(v) < s["minProperties"]:
            out.append(f"{path}: fewer than {s['minProperties']} properties")
        if "maxProperties" in s and len(v) > s["maxProperties"]:
            out.append(f"{path}: more than {s['maxProperties']} properties")
        extra = s.get("additionalProperties", True)
        for name, item in v.items():
            if name in props:
                _check(item, props[name], doc, f"{path}.{name}", out, depth + 1)
            elif extra is False:
                out.append(f"{path}: has undocumented property {name!r}")
            elif isinstance(extra, dict):
                _check(item, extra, doc, f"{path}.{name}", out, depth + 1)


def validate(instance, schema_ref, document=None):
    """Raises SchemaError unless instance matches the schema: a components.schemas name
    ("Need"), a local reference ("#/components/schemas/Need"), or a schema dict."""
    document = document if document is not None else load_document()
    problems = errors(instance, _schema_of(schema_ref, document), document)
    if problems:
        what = schema_ref if isinstance(schema_ref, str) else "schema"
        raise SchemaError(problems, what)


# ---------------------------------------------------------------- operations and responses

def operation(path_template, method, document=None):
    """The operation object for e.g. ("/api/v1/needs/{id}", "get")."""
    document = document if document is not None else load_document()
    item = document["paths"].get(path_template)
    if item is None:
        raise KeyError(f"{path_template} is not in the document")
    op = item.get(method.lower())
    if op is None:
        raise KeyError(f"{method.upper()} {path_template} is not in the document")
    return op


def response_spec(path_template, method, status, document=None):
    """The documented response object for a status (exact code, then 4XX-style, then default),
    with references resolved; None when the status is not documented."""
    document = document if document is not None else load_document()
    responses = operation(path_template, method, document)["responses"]
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            r = responses[key]
            while "$ref" in r:
                r = resolve(r["$ref"], document)
            return r
    return None


def _media_base(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def check_response(resp, path_template, method, document=None):
    """Asserts that a requests.Response is documented for the operation: its status is listed,
    its Content-Type is one of the documented media types, its body matches the schema, and
    the headers the response documents (Retry-After, WWW-Authenticate) are present.
    Returns the parsed body (or the text for non-JSON media, None when there is none)."""
    document = document if document is not None else load_document()
    what = f"{method.upper()} {path_template} -> {resp.status_code}"
    spec = response_spec(path_template, method, resp.status_code, document)
    assert spec is not None, f"{what}: status not documented; body: {resp.text[:500]}"
    for name in spec.get("headers", {}):
        assert name in resp.headers, f"{what}: documented header {name} is missing"
    content = spec.get("content")
    if not content:
        assert resp.content == b"", f"{what}: documented without a body but has {resp.content[:200]!r}"
        return None
    ctype = _media_base(resp.headers.get("Content-Type"))
    media = {_media_base(k): v for k, v in content.items()}
    assert ctype in media, f"{what}: Content-Type {ctype!r} not among {sorted(media)}"
    schema = media[ctype].get("schema", {})
    if ctype == "application/json" or ctype.endswith("+json"):
        body = json.loads(resp.content.decode("utf-8"))
        problems = errors(body, schema, document)
        if problems:
            raise SchemaError(problems, what)
        return body
    text = resp.content.decode("utf-8")
    problems = errors(text, schema, document)
    if problems:
        raise SchemaError(problems, what)
    return text


def documented_operations(document=None):
    """Every (METHOD, path template) in the document."""
    document = document if document is not None else load_document()
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return {(m.upper(), p) for p, item in document["paths"].items() for m in methods if m in item}
