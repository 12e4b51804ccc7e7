"""Request bodies checked against Discord's published OpenAPI spec, as strictly as Discord.

``spec/openapi.json`` is Discord's own OpenAPI 3.1 description of API v10 (MIT, ``spec/LICENSE``;
provenance in ``spec/README.md``). Every JSON body the bot sends (and the ``payload_json`` part of
a multipart upload) is validated against the request schema of the operation whose path
template matches the request, with jsonschema's Draft 2020-12 validator over a ``referencing``
registry that holds the whole document, so ``#/components/schemas/…`` references resolve.

The spec's own conventions (its README) are applied here:

- **Unions.** ``anyOf`` carrying ``x-discord-union: oneOf`` means "the body is one of these
  shapes, not a blend of two". Discord writes ``anyOf`` exactly where ``oneOf`` would be wrong:
  where one body can fit several shapes (every field optional, open objects). An autocomplete
  result with no choices fits the integer, number and string variants at once; a follow-up fits
  both the create and the update webhook body (every follow-up corpusbot's tests send does).
  Counting matches would refuse such bodies, which Discord accepts, so ``anyOf`` is kept as JSON
  Schema defines it (at least one matches). Blends cannot be told apart either way: the schemas
  do not close their objects. (``oneOf``, most of the spec's unions, is exactly one as ever.)
- **Int-parseable strings.** Discord accepts a string of digits wherever the spec says integer
  (discord.py sends ``default_member_permissions`` as ``"8192"``). In a schema whose ``type``
  allows integer but not string, such a string is validated as the integer it spells, by every
  keyword of that schema (``minimum``, ``enum``, ``oneOf`` of ``const`` …).
- **Upload ids.** discord.py names a new attachment by its upload index, ``{"id": 0, …}``, where
  the spec types the id as a snowflake string; Discord accepts that, so ``MessageAttachmentRequest``
  also takes a non-negative integer id. Nothing else about attachments is relaxed.
- **Replies and DMs.** discord.py sends ``message_reference`` ids and a DM's ``recipient_id``
  as JSON numbers and a message's ``nonce`` as a string of digits; Discord accepts them, so
  those ids also take a non-negative integer and the nonce's union is "at least one form" (a
  digit string fits two of them).

Formats are checked: ``uri`` (RFC 3986, so an embed or button URL of ``"not a url"`` is refused as
Discord refuses it) and the integer ranges ``int32``/``int64``. Formats jsonschema cannot check
without further packages (``date-time``) or that only name Discord types (``snowflake``,
``nonce``, ``double``) are not checked.

A body sent to a method and path the spec does not have is a violation too. Errors come back in
Discord's shape (``errors`` nested by field, with Discord's codes where one fits); in a failed
union they are those of the branch the body was meant for, the one whose ``type`` it names.

Validators are built once per process and cached by (method, path template); a body takes about
a millisecond (``_Discriminators`` says how).

This module is longer than the package's others (about 480 lines) because the conventions above
shape both halves of it, the validator and the reading of its errors in Discord's terms (a
failed union is read through the same branches the validator tried); apart, each half would
need the other to be understood.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).parent / "spec" / "openapi.json"
SPEC_URI = "https://discord.com/api/v10/openapi.json"

_INT_STRING = re.compile(r"-?[0-9]+")
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_BODY_METHODS = ("post", "put", "patch", "delete")


# -- the validator: Draft 2020-12 plus Discord's conventions -----------------------------------


def _declares_integer_not_string(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared]
    return "integer" in types and "string" not in types


def _int_strings_as_ints(keyword: Callable[..., Any]) -> Callable[..., Iterator[ValidationError]]:
    """Wrap a keyword so an int-parseable string meets an integer schema as its integer."""

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if (
            isinstance(instance, str)
            and _INT_STRING.fullmatch(instance)
            and _declares_integer_not_string(schema)
        ):
            instance = int(instance)
        return keyword(validator, value, instance, schema) or iter(())

    return check


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    if "uri" not in checker.checkers:
        raise RuntimeError("jsonschema cannot check format 'uri': install rfc3986-validator")

    def in_range(low: int, high: int) -> Callable[[object], bool]:
        return lambda value: not isinstance(value, int) or low <= value <= high

    checker.checks("int32")(in_range(*_INT32))
    checker.checks("int64")(in_range(*_INT64))
    return checker


_ANNOTATIONS = {"title", "description"}


class _Discriminators:
    """The one branch of a union a value can match, where its branches tell it at a glance.

    Two kinds of union do: objects whose branches each fix ``type`` to their own values
    (components, command options, callbacks) and scalars whose branches are each one ``const``
    (every enumeration, e.g. callback and button types). Validating against every branch only
    to see all but one fail on that value was most of the cost of a body (30 ms for a command
    sync). The others are certain to fail, so checking the one named gives the same verdict;
    a value no branch or several branches name still goes through the whole union.
    """

    def __init__(self, schemas: dict[str, Any]) -> None:
        self._schemas = schemas
        self._tables: dict[int, tuple[list[Any], str, dict[Any, list[int]]] | None] = {}

    def branch(self, union: list[Any], instance: Any) -> int | None:
        """The index of the only branch ``instance`` can match, or None to check them all."""
        kind_and_table = self._table(union)
        if kind_and_table is None:
            return None
        kind, table = kind_and_table
        if kind == "type":
            if not isinstance(instance, dict):
                return None
            value = instance.get("type")
        else:
            value = instance
        if isinstance(value, str) and _INT_STRING.fullmatch(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None
        branches = table.get(value)
        return branches[0] if branches is not None and len(branches) == 1 else None

    def _table(self, union: list[Any]) -> tuple[str, dict[Any, list[int]]] | None:
        if id(union) not in self._tables:
            built = self._build(union)
            # the union is kept so that its id stays its own
            self._tables[id(union)] = None if built is None else (union, *built)
        cached = self._tables[id(union)]
        return None if cached is None else (cached[1], cached[2])

    def _build(self, union: list[Any]) -> tuple[str, dict[Any, list[int]]] | None:
        kinds = set()
        table: dict[Any, list[int]] = {}
        for index, branch in enumerate(union):
            kind, values = self._named_values(branch)
            kinds.add(kind)
            if not values or len(kinds) > 1:
                return None
            for value in values:
                table.setdefault(value, []).append(index)
        return kinds.pop(), table

    def _named_values(self, branch: Any) -> tuple[str, list[Any]]:
        if not isinstance(branch, dict):
            return "", []
        if "const" in branch and set(branch) <= {"const", *_ANNOTATIONS}:
            values = [branch["const"]]
            kind = "const"
        else:
            ref = branch.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                branch = self._schemas.get(ref.rsplit("/", 1)[1], {})
            fixed = (branch.get("properties") or {}).get("type") or {}
            values = fixed.get("enum") or ([fixed["const"]] if "const" in fixed else [])
            kind = "type"
        ok = all(isinstance(v, int | str) and not isinstance(v, bool) for v in values)
        return kind, values if ok else []


def _by_discriminator(
    discriminators: _Discriminators, keyword: Callable[..., Any]
) -> Callable[..., Iterator[ValidationError]]:
    """Wrap ``anyOf``/``oneOf`` to check only the branch the instance's ``type`` names."""

    def check(validator: Any, union: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        index = discriminators.branch(union, instance)
        if index is None:
            yield from keyword(validator, union, instance, schema)
            return
        errors = list(validator.descend(instance, union[index], schema_path=index))
        if errors:
            yield ValidationError("not valid as the one form it names", context=errors)

    return check


def _validator_class(schemas: dict[str, Any]) -> Any:
    """Draft 2020-12 with Discord's conventions: int-parseable strings, type-named branches."""
    discriminators = _Discriminators(schemas)
    keywords = dict(Draft202012Validator.VALIDATORS)
    for union in ("anyOf", "oneOf"):
        keywords[union] = _by_discriminator(discriminators, keywords[union])
    return extend(
        Draft202012Validator,
        validators={name: _int_strings_as_ints(kw) for name, kw in keywords.items()},
    )


def _accept_upload_index_ids(spec: dict[str, Any]) -> None:
    """discord.py sends new attachments as ``{"id": <upload index>}``; Discord accepts it."""
    props = spec["components"]["schemas"]["MessageAttachmentRequest"]["properties"]
    props["id"] = {"anyOf": [props["id"], {"type": "integer", "minimum": 0}]}


# Where discord.py sends snowflakes as JSON numbers: a reply's reference, a DM's recipient.
_INTEGER_SNOWFLAKES = {
    "MessageReferenceRequest": ("message_id", "channel_id", "guild_id"),
    "CreatePrivateChannelRequest": ("recipient_id",),
}


def _accept_integer_snowflakes(spec: dict[str, Any]) -> None:
    """discord.py sends a reply's ``message_reference`` ids and a DM's ``recipient_id`` as JSON
    numbers, where the spec types a snowflake as a string of digits; Discord reads either
    (every discord.py reply and DM)."""
    for schema, names in _INTEGER_SNOWFLAKES.items():
        props = spec["components"]["schemas"][schema]["properties"]
        for name in names:
            props[name] = {"anyOf": [props[name], {"type": "integer", "minimum": 0}]}


def _accept_digit_string_nonces(spec: dict[str, Any]) -> None:
    """discord.py sends a message's ``nonce`` as a string of digits: a string nonce to Discord,
    but also the integer it spells under the int-parseable-string convention, so ``oneOf``
    would refuse it for fitting twice. Either form is a nonce: at least one must fit."""
    props = spec["components"]["schemas"]["MessageCreateRequest"]["properties"]
    props["nonce"] = {"anyOf": props["nonce"]["oneOf"]}


@dataclass(frozen=True)
class _Operation:
    method: str
    template: str
    segments: tuple[str, ...]
    pointer: str  # JSON pointer to the request body's JSON schema

    @property
    def literal_count(self) -> int:
        return sum(not s.startswith("{") for s in self.segments)

    def matches(self, segments: list[str]) -> bool:
        return len(segments) == len(self.segments) and all(
            t.startswith("{") or t == s for t, s in zip(self.segments, segments, strict=True)
        )


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class OpenAPISpec:
    """Discord's spec, loaded once: operations by path template and their body validators."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        spec = json.loads(path.read_text(encoding="utf-8"))
        _accept_upload_index_ids(spec)
        _accept_integer_snowflakes(spec)
        _accept_digit_string_nonces(spec)
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self._format_checker = _format_checker()
        self._validator_class = _validator_class(spec["components"]["schemas"])
        self.operations: dict[str, list[_Operation]] = {}
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if method not in ("get", *_BODY_METHODS):
                    continue
                content = (op.get("requestBody") or {}).get("content") or {}
                pointer = ""
                if "application/json" in content:
                    operation = f"/paths/{_escape_pointer(template)}/{method}"
                    pointer = f"{operation}/requestBody/content/application~1json/schema"
                segments = tuple(template.strip("/").split("/"))
                self.operations.setdefault(method.upper(), []).append(
                    _Operation(method.upper(), template, segments, pointer)
                )
        # a literal segment (@original, @me) wins over a parameter in the same place
        for ops in self.operations.values():
            ops.sort(key=lambda op: -op.literal_count)

    def operation(self, method: str, path: str) -> _Operation | None:
        """The spec's operation for a request path without /api/vN (literal segments first)."""
        segments = path.strip("/").split("/")
        return next(
            (op for op in self.operations.get(method.upper(), []) if op.matches(segments)), None
        )

    @functools.cache  # noqa: B019  (one spec per process, kept for the session)
    def validator(self, method: str, template: str) -> Validator | None:
        """The cached validator of one operation's JSON body, or None if it takes no body."""
        op = next(o for o in self.operations[method] if o.template == template)
        if not op.pointer:
            return None
        ref = f"{SPEC_URI}#{quote(op.pointer, safe='/~')}"
        validator: Validator = self._validator_class(
            {"$ref": ref}, registry=self._registry, format_checker=self._format_checker
        )
        return validator


@functools.cache
def spec() -> OpenAPISpec:
    """The one loaded spec for this process (test session)."""
    return OpenAPISpec()


# -- results: violations, Discord's error shape, session counts --------------------------------


@dataclass
class FieldError:
    """One invalid field: its path in the body and Discord's error code and message."""

    path: tuple[str, ...]
    code: str
    message: str

    def __str__(self) -> str:
        return f"{'.'.join(self.path) or '<body>'}: {self.message} ({self.code})"


@dataclass
class SpecViolation:
    """A request body Discord's spec refuses (or a body sent to an operation it lacks)."""

    method: str
    path: str  # the request path, tokens masked
    template: str | None
    errors: list[FieldError]
    body: Any

    def describe(self, body_limit: int = 4000) -> str:
        body = json.dumps(self.body, ensure_ascii=False, default=str)
        if len(body) > body_limit:
            body = body[:body_limit] + f"… ({len(body)} characters)"
        lines = [f"{self.method} {self.path} (spec: {self.template or 'no such operation'})"]
        lines += [f"  {e}" for e in self.errors]
        lines.append(f"  body: {body}")
        return "\n".join(lines)

    def discord_errors(self) -> dict[str, Any]:
        """The ``errors`` object of Discord's 50035 answer, nested by field path."""
        tree: dict[str, Any] = {}
        for e in self.errors:
            node = tree
            for part in e.path:
                node = node.setdefault(part, {})
            node.setdefault("_errors", []).append({"code": e.code, "message": e.message})
        return tree


@dataclass
class ValidationStats:
    """How many bodies this process validated, and the time it took (for the session report)."""

    bodies: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    violations: int = 0

    def summary(self) -> str:
        mean_ms = 1000 * self.seconds / self.bodies if self.bodies else 0.0
        return (
            f"fakediscord: {self.bodies} request bodies validated against Discord's OpenAPI "
            f"spec in {1000 * self.seconds:.0f} ms ({mean_ms:.2f} ms each, slowest "
            f"{1000 * self.slowest:.1f} ms), {self.violations} violations"
        )


STATS = ValidationStats()

UNCHECKED: list[SpecViolation] = []
"""Violations no test has answered for yet; the pytest plugin fails the test they arrive in."""


def take_unchecked() -> list[SpecViolation]:
    """Every violation not yet reported, now reported (the list is emptied)."""
    taken = list(UNCHECKED)
    UNCHECKED.clear()
    return taken


def _masked_path(op: _Operation | None, path: str) -> str:
    """The request path with any token segment replaced, so no token reaches a report."""
    segments = path.strip("/").split("/")
    if op is None:  # no template to say which segment is a token: hide any long enough to be one
        return "/" + "/".join("***" if len(s) >= 32 else s for s in segments)
    shown = [
        "***" if t.endswith("_token}") else s for t, s in zip(op.segments, segments, strict=True)
    ]
    return "/" + "/".join(shown)


_DISCORD_CODES: dict[str, tuple[str, Callable[[ValidationError], str]]] = {
    "maxLength": (
        "BASE_TYPE_MAX_LENGTH",
        lambda e: f"Must be {e.validator_value} or fewer in length.",
    ),
    "maxItems": (
        "BASE_TYPE_MAX_LENGTH",
        lambda e: f"Must be {e.validator_value} or fewer in length.",
    ),
    "minLength": (
        "BASE_TYPE_MIN_LENGTH",
        lambda e: f"Must be {e.validator_value} or more in length.",
    ),
    "minItems": (
        "BASE_TYPE_MIN_LENGTH",
        lambda e: f"Must be {e.validator_value} or more in length.",
    ),
    "maximum": ("NUMBER_TYPE_MAX", lambda e: f"int value should be <= {e.validator_value}."),
    "minimum": ("NUMBER_TYPE_MIN", lambda e: f"int value should be >= {e.validator_value}."),
    "enum": ("BASE_TYPE_CHOICES", lambda e: f"Value must be one of {e.validator_value}."),
    "const": ("BASE_TYPE_CHOICES", lambda e: f"Value must be one of ({e.validator_value!r},)."),
}


def _field_errors(error: ValidationError) -> list[FieldError]:
    """Discord-style field errors for one jsonschema error, descending into failed unions."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _union_errors(error)
    path = _path(error)
    if error.validator == "required":
        missing = [p for p in error.validator_value if p not in error.instance]
        return [
            FieldError((*path, p), "BASE_TYPE_REQUIRED", "This field is required") for p in missing
        ]
    if error.validator == "format" and error.validator_value == "uri":
        return [FieldError(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")]
    code_and_message = _DISCORD_CODES.get(str(error.validator))
    if code_and_message is not None:
        code, message = code_and_message
        return [FieldError(path, code, message(error))]
    return [FieldError(path, "BASE_TYPE_INVALID", error.message[:300])]


def _union_errors(error: ValidationError) -> list[FieldError]:
    """The errors of the one union branch the body was meant for, else one error for the union.

    The branch meant is the one that got furthest into the body, with the fewest errors there:
    a branch whose discriminator (``type``) failed errs at that field, the branch meant errs
    deeper, or only at the field actually wrong. When no single branch stands out, the union
    itself is the error, at the field where the close branches failed.
    """
    branches: dict[Any, list[ValidationError]] = {}
    for e in error.context or []:
        branches.setdefault(e.relative_schema_path[0], []).append(e)
    closeness = {k: (min(_reach(e) for e in es), -len(es)) for k, es in branches.items()}
    closest = max(closeness.values())
    meant = [k for k, c in closeness.items() if c == closest]
    if len(meant) == 1:
        return [fe for e in branches[meant[0]] for fe in _field_errors(e)]
    paths = [_path(e) for k in meant for e in branches[k] if _reach(e) == closest[0]]
    common = paths[0]
    for path in paths[1:]:
        while path[: len(common)] != common:
            common = common[:-1]
    message = f"Value must be one of the {len(branches)} forms the spec allows here."
    return [FieldError(common, "UNION_TYPE_CHOICES", message)]


def _path(error: ValidationError) -> tuple[str, ...]:
    return tuple(str(p) for p in error.absolute_path)


def _reach(error: ValidationError) -> int:
    """How deep into the body an error lies, through the branch a failed union came closest to."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[int]] = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(_reach(e))
        return max(min(depths) for depths in branches.values())
    # a missing field is an error at that field, one level below the object holding it
    return len(error.absolute_path) + (error.validator == "required")


def check_body(method: str, path: str, body: Any) -> SpecViolation | None:
    """Validate one request body (JSON or payload_json); a violation if Discord would refuse it."""
    api = spec()
    started = time.perf_counter()
    violation = _violation(api, method, path, body)
    elapsed = time.perf_counter() - started
    STATS.bodies += 1
    STATS.seconds += elapsed
    STATS.slowest = max(STATS.slowest, elapsed)
    STATS.violations += violation is not None
    return violation


def _violation(api: OpenAPISpec, method: str, path: str, body: Any) -> SpecViolation | None:
    op = api.operation(method, path)
    if op is None:
        unknown = FieldError((), "UNKNOWN_OPERATION", "Discord's spec has no such operation")
        return SpecViolation(method, _masked_path(None, path), None, [unknown], body)
    validator = api.validator(op.method, op.template)
    if validator is None:
        return None
    errors = [fe for e in validator.iter_errors(body) for fe in _field_errors(e)]
    if not errors:
        return None
    return SpecViolation(method, _masked_path(op, path), op.template, errors, body)
