"""X's OpenAPI specification, read at test time, and the checks the contract tests run with it.

The specification is `../shared/reference/x-api-v2-openapi.json` beside the repository (X's
published API v2 description, see that folder's README); it is never copied into the
repository. `load_spec()` returns None when it is absent (a user's clone), and the contract
tests skip with that reason.

`check_exchange()` validates one request/response pair recorded at the fake with
openapi-core (which resolves the specification's $refs): the request's path, query
parameters, security and JSON body against the operation, and the response's status,
content type and body against the operation's response for that status. Two checks the
specification does not express are added: every query parameter sent must be declared by
the operation (openapi-core ignores unknown ones), and every /2 response carries the
x-rate-limit-* headers (the specification declares no response headers; X sends them and
tweepy and our quota metrics read them, see ../shared/notes/x-api.md).

Known differences between the specification and the live API are mapped here, each with
its source, before validating (they are not fake bugs, and the fake serves the live names):

- The specification calls the tweet fields parameter `post.fields`, its values
  `referenced_posts` / `edit_history_post_ids`, and the tweet object's keys the same; the
  live API takes `tweet.fields` and answers `referenced_tweets` / `edit_history_tweet_ids`
  (X's docs, "Fields" and "Edit Posts" pages; tweepy 4.17 `tweepy.tweet.TWEET_FIELDS`;
  ../shared/notes/x-api.md "Shapes the fake must serve"; xdevplatform/xdk issue #13: the
  SDK generated from this specification got none of the requested fields back).
- The specification's `post.fields` enum leaves out properties its own Post schema has
  (author_id, in_reply_to_user_id, referenced_posts, edit_history_post_ids), which the live
  API accepts (same sources): the enum is widened to the Post schema's properties.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from werkzeug.datastructures import ImmutableMultiDict  # openapi-core's own dependency

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared" / "reference" / "x-api-v2-openapi.json"
SPEC_HOST = "https://api.x.com"  # the specification's server; requests are checked as sent there
RATE_LIMIT_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")

# Live name -> specification name (see the module docstring for the sources).
LIVE_QUERY_NAMES = {"tweet.fields": "post.fields"}
LIVE_POST_KEYS = {"referenced_tweets": "referenced_posts",
                  "edit_history_tweet_ids": "edit_history_post_ids"}


@dataclass(frozen=True)
class XSpec:
    """The loaded specification: the raw document (with the mapped differences) and the
    openapi-core validator built on it."""

    document: dict[str, Any]
    api: OpenAPI

    @property
    def version(self) -> str:
        return str(self.document["info"]["version"])

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """(path template, operation) the specification defines for this concrete path."""
        best: tuple[int, str] | None = None
        for template, item in self.document["paths"].items():
            if method.lower() in item and _template_regex(template).fullmatch(path):
                literal = len(re.sub(r"\{[^}]+\}", "", template))
                if best is None or literal > best[0]:
                    best = (literal, template)
        if best is None:
            return None
        return best[1], self.document["paths"][best[1]][method.lower()]

    def parameter_names(self, operation: dict[str, Any], where: str) -> set[str]:
        names = set()
        for parameter in operation.get("parameters", []):
            resolved = self.resolve(parameter)
            if resolved.get("in") == where:
                names.add(resolved["name"])
        return names

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def load_spec(path: Path = SPEC_PATH) -> XSpec | None:
    """The specification at `path` with the known differences mapped, or None if absent."""
    if not path.is_file():
        return None
    return _load(str(path))


@cache
def _load(path: str) -> XSpec:
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    document = _widen_post_fields(document)
    # openapi-core cannot check oauth2 schemes and lets a request through on them unchecked
    # (with a warning), which would pass a request without credentials. An OAuth 2.0 user
    # token travels as `Authorization: Bearer`, so the scheme is checked as http bearer (its
    # scopes are the app's configuration, not the request's).
    schemes = document["components"]["securitySchemes"]
    schemes["OAuth2UserToken"] = {"type": "http", "scheme": "bearer"}
    # HTTP auth schemes are case-insensitive (RFC 7235) but openapi-core compares the
    # header's, lowercased, with the specification's as written ("OAuth" for OAuth 1.0a).
    for scheme in schemes.values():
        if scheme.get("type") == "http":
            scheme["scheme"] = scheme["scheme"].lower()
    # The specification is X's, not ours to lint; skipping its own validation keeps start-up
    # short. Every operation used is still resolved and checked on use.
    api = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))
    return XSpec(document=document, api=api)


def _widen_post_fields(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    items = document["components"]["parameters"]["PostFieldsParameter"]["schema"]["items"]
    post_properties = document["components"]["schemas"]["Post"]["properties"]
    items["enum"] = sorted(set(items["enum"]) | set(post_properties))
    return document


@dataclass
class Exchange:
    """One request to the fake's /2 API and its answer, as recorded at the fake."""

    label: str
    ours: bool  # sent by our clients (tweepy via mentionflow.xapi), not by hand
    method: str
    path: str
    query: list[tuple[str, str]]
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes

    @property
    def response_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body else None


@dataclass
class Verdict:
    """What `check_exchange` found: the operation, and the problems (empty: conforms)."""

    exchange: Exchange
    operation: str | None
    request_checked: bool
    request_problems: list[str] = field(default_factory=list)
    response_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.request_problems and not self.response_problems

    def describe(self) -> str:
        ex = self.exchange
        lines = [f"[{ex.label}] {ex.method} {ex.path} -> {ex.status} ({self.operation})"]
        lines += [f"  request: {p}" for p in self.request_problems]
        lines += [f"  response: {p}" for p in self.response_problems]
        return "\n".join(lines)


def check_exchange(spec: XSpec, exchange: Exchange, *, check_request: bool | None = None
                   ) -> Verdict:
    """Validate `exchange` against `spec`. The request is checked when it is one our clients
    sent (`exchange.ours`) unless `check_request` says otherwise; the response always."""
    found = spec.operation(exchange.method, exchange.path)
    do_request = exchange.ours if check_request is None else check_request
    if found is None:
        return Verdict(exchange, None, do_request,
                       response_problems=[f"the specification has no {exchange.method} "
                                          f"{exchange.path}"])
    template, operation = found
    verdict = Verdict(exchange, f"{exchange.method} {template} ({operation.get('operationId')})",
                      do_request)
    request = _spec_request(exchange)
    if do_request:
        declared = spec.parameter_names(operation, "query")
        for name in dict.fromkeys(request.parameters.query.keys()):
            if name not in declared:
                verdict.request_problems.append(f"query parameter {name!r} is not declared")
        verdict.request_problems += _problems(spec.api.iter_request_errors(request))
    verdict.response_problems += _status_problems(operation, exchange.status)
    verdict.response_problems += _rate_limit_header_problems(exchange.response_headers)
    verdict.response_problems += _problems(
        spec.api.iter_response_errors(request, _spec_response(exchange)))
    return verdict


def _spec_request(exchange: Exchange) -> MockRequest:
    query: dict[str, list[str]] = {}
    for name, value in exchange.query:
        spec_name = LIVE_QUERY_NAMES.get(name, name)
        if spec_name == "post.fields":
            value = ",".join(LIVE_POST_KEYS.get(v, v) for v in value.split(","))
        query.setdefault(spec_name, []).append(value)
    request = MockRequest(
        SPEC_HOST, exchange.method, exchange.path,
        headers=exchange.request_headers,
        data=exchange.request_body or None,
        content_type=_mimetype(exchange.request_headers) or "application/json",
    )
    request.parameters.query = ImmutableMultiDict(
        [(k, v) for k, values in query.items() for v in values])
    return request


def _spec_response(exchange: Exchange) -> MockResponse:
    body = exchange.response_body
    if body:
        try:
            body = json.dumps(_spec_keys(json.loads(body))).encode()
        except ValueError:
            pass  # not JSON: openapi-core reports it against the declared media type
    return MockResponse(body, exchange.status, headers=exchange.response_headers,
                        content_type=_mimetype(exchange.response_headers) or "")


def _spec_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {LIVE_POST_KEYS.get(k, k): _spec_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_spec_keys(v) for v in value]
    return value


def _mimetype(headers: dict[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return None


def _status_problems(operation: dict[str, Any], status: int) -> list[str]:
    responses = operation["responses"]
    if 200 <= status < 300 and str(status) not in responses:
        return [f"success status {status} is not the operation's ({sorted(responses)})"]
    return []


def _rate_limit_header_problems(headers: dict[str, str]) -> list[str]:
    lower = {k.lower(): v for k, v in headers.items()}
    problems = []
    for name in RATE_LIMIT_HEADERS:
        if not lower.get(name, "").isdigit():
            problems.append(f"header {name} missing or not an integer ({lower.get(name)!r})")
    return problems


def _problems(errors: Iterator[Exception]) -> list[str]:
    return [line for error in errors for line in _explain(error)]


def _explain(error: BaseException) -> list[str]:
    """The innermost readable reasons of an openapi-core error (schema errors with paths)."""
    lines: list[str] = []
    current: BaseException | None = error
    while current is not None:
        if not getattr(current, "schema_errors", None):
            lines.append(f"{type(current).__name__}: {current}"[:300])
        for schema_error in getattr(current, "schema_errors", None) or ():
            where = "/".join(str(p) for p in schema_error.absolute_path) or "<root>"
            lines.append(f"{type(current).__name__} at {where}: {schema_error.message[:300]}")
            for sub in (schema_error.context or [])[:3]:
                sub_where = "/".join(str(p) for p in sub.absolute_path) or "<root>"
                lines.append(f"    - {sub_where}: {sub.message[:200]}")
        current = current.__cause__
    return lines
