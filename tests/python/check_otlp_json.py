#!/usr/bin/env python3
"""Independent check of OTLP/JSON Lines files with protobuf's own JSON parser.

Usage: check_otlp_json.py FILE...

Every non-empty line must be one OTLP ExportTraceServiceRequest in the OTLP/JSON
encoding. Each line is parsed with google.protobuf.json_format.Parse into the
ExportTraceServiceRequest message generated from the OTLP protos (PyPI package
opentelemetry-proto), with unknown fields rejected. OTLP/JSON writes trace and span ids
as hex where the plain protobuf JSON mapping uses base64, so -- as an OTLP receiver
does -- ids are checked to be lowercase hex of the right length and converted to base64
before parsing. Afterwards the parsed message is compared with the raw JSON: span
counts, trace/span/parent ids (bytes -> hex), names, kinds and attribute counts.

Prints one line per problem (FILE:LINE: ...) and a summary line. Exit status: 0 when
every line passed, 1 when a problem was found, 2 on bad usage, 3 when the protobuf
modules are missing.
"""

import base64
import json
import re
import sys

try:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
except ImportError as error:  # pragma: no cover - environment dependent
    print(
        f"MISSING MODULE: {error}; install it with: pip install opentelemetry-proto",
        file=sys.stderr,
    )
    sys.exit(3)

HEX = {16: re.compile(r"^[0-9a-f]{32}$"), 8: re.compile(r"^[0-9a-f]{16}$")}
ID_FIELDS = (("traceId", 16), ("spanId", 8), ("parentSpanId", 8))


class Problem(Exception):
    """A line that fails the check."""


def hex_ids_to_base64(obj, where):
    """Validates the hex ids of a span or link and rewrites them as base64 in place."""
    for field, size in ID_FIELDS:
        if field not in obj:
            continue
        value = obj[field]
        if not isinstance(value, str):
            raise Problem(f"{where}.{field} is not a string: {value!r}")
        if value == "" and field == "parentSpanId":
            continue
        if not HEX[size].match(value):
            raise Problem(
                f"{where}.{field} is not {size * 2} lowercase hex characters: {value!r}"
            )
        obj[field] = base64.b64encode(bytes.fromhex(value)).decode("ascii")


def check_line(line):
    """Checks one line; returns the number of spans in it."""
    try:
        raw = json.loads(line)
    except ValueError as error:
        raise Problem(f"not JSON: {error}") from None
    if not isinstance(raw, dict):
        raise Problem("not a JSON object")
    converted = json.loads(line)
    for ri, rs in enumerate(converted.get("resourceSpans", [])):
        for si, ss in enumerate(rs.get("scopeSpans", [])):
            for pi, span in enumerate(ss.get("spans", [])):
                where = f"resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]"
                hex_ids_to_base64(span, where)
                for li, link in enumerate(span.get("links", [])):
                    hex_ids_to_base64(link, f"{where}.links[{li}]")

    message = ExportTraceServiceRequest()
    try:
        json_format.Parse(json.dumps(converted), message, ignore_unknown_fields=False)
    except json_format.ParseError as error:
        raise Problem(f"protobuf rejects the line: {error}") from None

    raw_spans = [
        span
        for rs in raw.get("resourceSpans", [])
        for ss in rs.get("scopeSpans", [])
        for span in ss.get("spans", [])
    ]
    parsed_spans = [
        span
        for rs in message.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    if len(raw_spans) != len(parsed_spans):
        raise Problem(f"{len(raw_spans)} spans in JSON, {len(parsed_spans)} parsed")
    for i, (raw_span, span) in enumerate(zip(raw_spans, parsed_spans)):
        where = f"span {i} ({raw_span.get('name', '')!r})"
        if span.trace_id.hex() != raw_span.get("traceId"):
            raise Problem(f"{where}: trace id {span.trace_id.hex()} != {raw_span.get('traceId')}")
        if span.span_id.hex() != raw_span.get("spanId"):
            raise Problem(f"{where}: span id {span.span_id.hex()} != {raw_span.get('spanId')}")
        if span.parent_span_id.hex() != raw_span.get("parentSpanId", ""):
            raise Problem(f"{where}: parent span id {span.parent_span_id.hex()!r} differs")
        if len(span.trace_id) != 16 or len(span.span_id) != 8:
            raise Problem(f"{where}: id length {len(span.trace_id)}/{len(span.span_id)}")
        if span.name != raw_span.get("name", ""):
            raise Problem(f"{where}: name {span.name!r} differs")
        if not 1 <= span.kind <= 5:
            raise Problem(f"{where}: kind {span.kind} is not a valid SpanKind")
        if len(span.attributes) != len(raw_span.get("attributes", [])):
            raise Problem(f"{where}: attribute count differs")
        if len(span.events) != len(raw_span.get("events", [])):
            raise Problem(f"{where}: event count differs")
        if len(span.links) != len(raw_span.get("links", [])):
            raise Problem(f"{where}: link count differs")
    return len(parsed_spans)


def main(paths):
    if not paths:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    problems = 0
    lines = 0
    spans = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    lines += 1
                    try:
                        spans += check_line(line)
                    except Problem as problem:
                        problems += 1
                        print(f"{path}:{number}: {problem}")
        except (OSError, UnicodeDecodeError) as error:
            problems += 1
            print(f"{path}: cannot read: {error}")
    status = "OK" if problems == 0 and lines > 0 else "FAILED"
    if lines == 0:
        problems += 1
        print("no lines to check")
    print(
        f"check_otlp_json: files={len(paths)} lines={lines} spans={spans} "
        f"problems={problems} {status}"
    )
    return 0 if problems == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
