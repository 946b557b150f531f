#!/usr/bin/env python3
"""Writes the OTLP test vectors beside this script, and manifest.json describing what each one decodes to.

Needs the PyPI package opentelemetry-proto (it brings protobuf): `pip install opentelemetry-proto`, then
`python3 Tests/OTLPTests/Vectors/generate.py`. The Swift tests read only the files written here.

Each valid vector's expected value is a "dump": one line per metric and per data point, built here from the
message as Python's protobuf parsed it, and built in Swift from what the decoder's visitor receives
(Tests/OTLPTests/VectorTests.swift renders the same format).
"""

import base64
import json
import math
import os
import struct

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as service
from opentelemetry.proto.common.v1 import common_pb2 as common
from opentelemetry.proto.metrics.v1 import metrics_pb2 as metrics

HERE = os.path.dirname(os.path.abspath(__file__))


# --- The dump format -------------------------------------------------------------------------------------------


def number(value):
    return repr(float(value))


def any_value(value):
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return "s:" + value.string_value
    if kind == "bool_value":
        return "b:" + ("true" if value.bool_value else "false")
    if kind == "int_value":
        return "i:" + str(value.int_value)
    if kind == "double_value":
        return "d:" + number(value.double_value)
    if kind == "array_value":
        return "a:[" + ",".join(any_value(v) for v in value.array_value.values) + "]"
    if kind == "kvlist_value":
        return "m:" + attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return "x:" + value.bytes_value.hex()
    return "e"


def attributes(pairs):
    return "{" + ",".join(p.key + "=" + any_value(p.value) for p in pairs) + "}"


def optional(message, field):
    return number(getattr(message, field)) if message.HasField(field) else "none"


def dump(request):
    lines = []
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data") or "none"
                data = getattr(m, kind) if kind != "none" else None
                points = list(data.data_points) if data is not None else []
                temporality = getattr(data, "aggregation_temporality", 0) if data is not None else 0
                monotonic = kind == "sum" and m.sum.is_monotonic
                lines.append(
                    f"metric resource={attributes(rm.resource.attributes)} schema={rm.schema_url}"
                    f" scope={sm.scope.name}@{sm.scope.version}{attributes(sm.scope.attributes)}"
                    f" name={m.name} desc={m.description} unit={m.unit} kind={kind} temporality={temporality}"
                    f" monotonic={'true' if monotonic else 'false'} points={len(points)}"
                    f" metadata={attributes(m.metadata)}")
                for p in points:
                    head = f"{attributes(p.attributes)} start={p.start_time_unix_nano} time={p.time_unix_nano}"
                    if kind in ("gauge", "sum"):
                        which = p.WhichOneof("value")
                        value = ("d:" + number(p.as_double) if which == "as_double"
                                 else "i:" + str(p.as_int) if which == "as_int" else "none")
                        lines.append(f"  number {head} value={value} flags={p.flags}")
                    elif kind == "histogram":
                        lines.append(
                            f"  histogram {head} count={p.count} sum={optional(p, 'sum')}"
                            f" buckets=[{','.join(str(c) for c in p.bucket_counts)}]"
                            f" bounds=[{','.join(number(b) for b in p.explicit_bounds)}]"
                            f" min={optional(p, 'min')} max={optional(p, 'max')} flags={p.flags}")
                    elif kind == "exponential_histogram":
                        lines.append(
                            f"  exponential {head} count={p.count} sum={optional(p, 'sum')} scale={p.scale}"
                            f" zero={p.zero_count} threshold={number(p.zero_threshold)}"
                            f" positive={p.positive.offset}:[{','.join(str(c) for c in p.positive.bucket_counts)}]"
                            f" negative={p.negative.offset}:[{','.join(str(c) for c in p.negative.bucket_counts)}]"
                            f" min={optional(p, 'min')} max={optional(p, 'max')} flags={p.flags}")
                    else:
                        quantiles = ",".join(f"{number(q.quantile)}:{number(q.value)}" for q in p.quantile_values)
                        lines.append(
                            f"  summary {head} count={p.count} sum={number(p.sum)} quantiles=[{quantiles}]"
                            f" flags={p.flags}")
    return lines


# --- A small wire-format writer, for what the generated classes do not write -----------------------------------


def varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(number, wire_type):
    return varint(number << 3 | wire_type)


def field_varint(number, value):
    return tag(number, 0) + varint(value)


def field_fixed64(number, value):
    return tag(number, 1) + struct.pack("<Q", value & (1 << 64) - 1)


def field_double(number, value):
    return tag(number, 1) + struct.pack("<d", value)


def field_fixed32(number, value):
    return tag(number, 5) + struct.pack("<I", value)


def field_bytes(number, payload):
    return tag(number, 2) + varint(len(payload)) + payload


def field_string(number, text):
    return field_bytes(number, text.encode())


def zigzag(value):
    return (value << 1) ^ (value >> 31)


UNKNOWN = (field_varint(1000, 7) + field_fixed64(1001, 42) + field_bytes(1002, b"\x08\x01 opaque")
           + field_fixed32(1003, 5))


def key_value(key, value_bytes):
    return field_string(1, key) + field_bytes(2, value_bytes)


# --- The vectors -----------------------------------------------------------------------------------------------


def kv(key, **value):
    return common.KeyValue(key=key, value=common.AnyValue(**value))


def every_kind():
    """Every data kind, every AnyValue type, two resources, a metric without data."""
    request = service.ExportMetricsServiceRequest()
    rm = request.resource_metrics.add(schema_url="https://opentelemetry.io/schemas/1.24.0")
    rm.resource.attributes.extend([
        kv("service.name", string_value="checkout"),
        kv("service.namespace", string_value="shop"),
        kv("service.instance.id", string_value="pod-7"),
        kv("host.arch.bits", int_value=64),
        kv("debug", bool_value=True),
        kv("load", double_value=0.75),
        kv("tags", array_value=common.ArrayValue(values=[
            common.AnyValue(string_value="a"), common.AnyValue(int_value=-2),
            common.AnyValue(array_value=common.ArrayValue(values=[common.AnyValue(bool_value=False)]))])),
        kv("owner", kvlist_value=common.KeyValueList(values=[
            kv("team", string_value="payments"), kv("level", int_value=3)])),
        kv("blob", bytes_value=b"\x00\xff\x10"),
        common.KeyValue(key="unset"),
    ])
    rm.resource.dropped_attributes_count = 2
    sm = rm.scope_metrics.add(schema_url="https://opentelemetry.io/schemas/1.21.0")
    sm.scope.name = "io.opentelemetry.checkout"
    sm.scope.version = "1.2.3"
    sm.scope.attributes.append(kv("scope.kind", string_value="manual"))

    m = sm.metrics.add(name="queue.depth", description="Items waiting.", unit="{item}")
    m.gauge.data_points.add(time_unix_nano=1_700_000_000_000_000_000, as_double=12.5,
                            attributes=[kv("queue", string_value="in"), kv("ünï", string_value="cödé ✓")])
    m.gauge.data_points.add(time_unix_nano=1_700_000_000_000_000_001, as_int=-9_000_000_000_000_000_000, flags=1)
    m.gauge.data_points.add(time_unix_nano=1_700_000_000_000_000_002)  # no value
    m.metadata.append(kv("prometheus.type", string_value="gauge"))

    m = sm.metrics.add(name="http.server.requests", description="Requests served.", unit="1")
    m.sum.aggregation_temporality = metrics.AGGREGATION_TEMPORALITY_CUMULATIVE
    m.sum.is_monotonic = True
    m.sum.data_points.add(start_time_unix_nano=1_600_000_000_000_000_000, time_unix_nano=1_700_000_000_000_000_000,
                          as_int=18_446_744_073, attributes=[kv("code", int_value=200), kv("ok", bool_value=True)])
    m.sum.data_points.add(start_time_unix_nano=1, time_unix_nano=2, as_double=float("inf"))

    m = sm.metrics.add(name="temperature.delta", unit="Cel")
    m.sum.aggregation_temporality = metrics.AGGREGATION_TEMPORALITY_DELTA
    m.sum.data_points.add(time_unix_nano=5, as_double=-3.25)
    m.sum.data_points.add(time_unix_nano=6, as_double=float("nan"))

    m = sm.metrics.add(name="http.server.duration", description="Request time.", unit="s")
    m.histogram.aggregation_temporality = metrics.AGGREGATION_TEMPORALITY_CUMULATIVE
    m.histogram.data_points.add(start_time_unix_nano=10, time_unix_nano=20, count=10, sum=4.5,
                                bucket_counts=[1, 2, 3, 4], explicit_bounds=[0.1, 0.5, 1.0], min=0.01, max=2.5,
                                attributes=[kv("route", string_value="/cart")])
    m.histogram.data_points.add(time_unix_nano=21, count=0)  # no sum, no buckets

    m = sm.metrics.add(name="payload.size", unit="By")
    m.exponential_histogram.aggregation_temporality = metrics.AGGREGATION_TEMPORALITY_DELTA
    p = m.exponential_histogram.data_points.add(
        start_time_unix_nano=1, time_unix_nano=2, count=12, sum=-1.5, scale=-3, zero_count=2, zero_threshold=1e-9,
        min=-4.0, max=300.0, attributes=[kv("dir", string_value="rx")])
    p.positive.offset = -2
    p.positive.bucket_counts.extend([1, 0, 3, 300])
    p.negative.offset = 5
    p.negative.bucket_counts.extend([2])
    m.exponential_histogram.data_points.add(time_unix_nano=3, count=1, scale=20, zero_count=1)

    m = sm.metrics.add(name="rpc.latency", unit="ms")
    p = m.summary.data_points.add(start_time_unix_nano=7, time_unix_nano=8, count=100, sum=250.5,
                                  attributes=[kv("method", string_value="Get")])
    p.quantile_values.add(quantile=0.5, value=2.0)
    p.quantile_values.add(quantile=0.99, value=30.25)

    sm.metrics.add(name="no.data", description="A metric without points.")

    rm2 = request.resource_metrics.add()
    rm2.resource.attributes.append(kv("service.name", string_value="worker"))
    sm2 = rm2.scope_metrics.add()
    m = sm2.metrics.add(name="jobs", unit="{job}")
    m.sum.aggregation_temporality = metrics.AGGREGATION_TEMPORALITY_CUMULATIVE
    m.sum.is_monotonic = True
    m.sum.data_points.add(time_unix_nano=9, as_int=3)
    return request


def reordered_unpacked_unknown():
    """By hand: fields in reverse order, unpacked repeated scalars (and a packed run mixed in), unknown fields of
    every wire type at every level, and a resource sent after its scopes."""
    value_string = field_string(1, "v") + UNKNOWN
    attribute = UNKNOWN + field_bytes(2, value_string) + field_string(1, "k")
    histogram_point = (
        UNKNOWN + field_double(12, 9.0) + field_double(11, 0.5)
        + field_fixed64(6, 1) + field_double(7, 1.0) + field_fixed64(6, 2)
        + field_bytes(7, struct.pack("<dd", 2.0, 4.0))  # packed run after unpacked elements
        + field_fixed64(6, 3) + field_fixed64(6, 4)
        + field_double(5, 17.0) + field_fixed64(4, 10) + field_fixed64(3, 200) + field_fixed64(2, 100)
        + field_bytes(9, attribute))
    histogram = UNKNOWN + field_varint(2, 2) + field_bytes(1, histogram_point)
    buckets = field_varint(2, 5) + UNKNOWN + field_varint(2, 0) + field_varint(2, 7) + field_varint(1, zigzag(-1))
    exponential_point = (
        field_bytes(8, buckets) + field_varint(6, zigzag(2)) + field_fixed64(7, 1) + field_fixed64(4, 13)
        + UNKNOWN + field_bytes(9, field_bytes(2, varint(4) + varint(300)) + field_varint(1, zigzag(3)))
        + field_fixed64(3, 50))
    exponential = field_bytes(1, exponential_point) + field_varint(2, 1)
    number_point = field_fixed64(6, (-5) & (1 << 64) - 1) + UNKNOWN + field_fixed64(3, 77) + field_bytes(7, attribute)
    sum_data = field_varint(3, 1) + field_bytes(1, number_point) + field_varint(2, 2) + UNKNOWN
    metrics_bytes = [
        field_bytes(9, histogram) + UNKNOWN + field_string(3, "s") + field_string(1, "late.name"),
        field_bytes(10, exponential) + field_string(1, "exp"),
        UNKNOWN + field_bytes(7, sum_data) + field_string(2, "described") + field_string(1, "counter"),
    ]
    scope = field_string(2, "9.9") + UNKNOWN + field_string(1, "scope")
    scope_metrics = b"".join(field_bytes(2, m) for m in metrics_bytes) + UNKNOWN + field_bytes(1, scope)
    resource = field_varint(2, 1) + UNKNOWN + field_bytes(1, attribute)
    resource_metrics = field_bytes(2, scope_metrics) + UNKNOWN + field_bytes(1, resource)
    return UNKNOWN + field_bytes(1, resource_metrics) + UNKNOWN


def deep_attribute(depth):
    """An attribute whose value is `depth` arrays nested in each other."""
    value = field_string(1, "bottom")
    for _ in range(depth):
        value = field_bytes(5, field_bytes(1, value))
    return key_value("deep", value)


def request_with_point_attribute(attribute):
    point = field_bytes(7, attribute) + field_double(4, 1.0)
    metric = field_string(1, "m") + field_bytes(5, field_bytes(1, point))
    return field_bytes(1, field_bytes(2, field_bytes(2, metric)))


def main():
    manifest = []

    def write(name, payload):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(payload)

    def valid(name, payload, lines, fmt="protobuf", note=""):
        write(name, payload)
        manifest.append({"file": name, "format": fmt, "note": note, "dump": lines})

    def invalid(name, payload, reason, fmt="protobuf", note=""):
        write(name, payload)
        manifest.append({"file": name, "format": fmt, "note": note, "error": reason})

    request = every_kind()
    lines = dump(request)
    canonical = request.SerializeToString(deterministic=True)
    valid("every_kind.pb", canonical, lines, note="every data kind and AnyValue type, packed (as protobuf writes)")
    valid("every_kind.json",
          json_format.MessageToJson(request, use_integers_for_enums=True, indent=None).encode(),
          lines, "json", "json_format: lowerCamelCase, enums as integers, 64-bit integers as strings")
    valid("every_kind_snake_case.json",
          json_format.MessageToJson(request, preserving_proto_field_name=True, indent=2).encode(),
          lines, "json", "json_format: original field names, enums as names, indented")

    hand = reordered_unpacked_unknown()
    parsed = service.ExportMetricsServiceRequest()
    parsed.ParseFromString(hand)
    valid("reordered_unpacked_unknown.pb", hand, dump(parsed),
          note="fields in reverse order, unpacked and mixed repeated scalars, unknown fields of every wire type")

    nested = request_with_point_attribute(deep_attribute(10))
    parsed = service.ExportMetricsServiceRequest()
    parsed.ParseFromString(nested)
    valid("nested_10.pb", nested, dump(parsed), note="an attribute 10 arrays deep (within the limit)")

    # A hand-written JSON body: numbers for 64-bit integers, strings for doubles, NaN and Infinity, enum names,
    # exemplars with hex ids, unknown keys, escapes, base64 bytes.
    hand_json = r'''{
  "resourceMetrics": [{
    "resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "a\"b\\c\u00e9\ud83d\ude00\n"}},
      {"key": "bytes", "value": {"bytesValue": "AP8Q"}},
      {"key": "url_safe", "value": {"bytesValue": "-_8"}},
      {"key": "big", "value": {"intValue": 9007199254740993}},
      {"key": "neg", "value": {"intValue": "-12"}},
      {"key": "exp", "value": {"doubleValue": 1e3}}
    ], "futureField": {"nested": [1, 2, {"x": null}]}},
    "scopeMetrics": [{
      "scope": {"name": "s", "version": ""},
      "metrics": [
        {"name": "g", "unit": "1", "gauge": {"dataPoints": [
          {"asDouble": "NaN", "timeUnixNano": 1700000000000000000},
          {"asDouble": "Infinity", "timeUnixNano": "1700000000000000001"},
          {"asDouble": "-Infinity", "exemplars": [{"traceId": "5b8efff798038103d269b633813fc60c",
                                                   "spanId": "eee19b7ec3c1b174", "asDouble": 1}]},
          {"asInt": 42, "flags": 1, "unknownPointField": true},
          {"asDouble": -0.0}
        ]}},
        {"name": "c", "sum": {"aggregationTemporality": "AGGREGATION_TEMPORALITY_CUMULATIVE", "isMonotonic": true,
          "dataPoints": [{"asInt": "-9223372036854775808", "startTimeUnixNano": "0", "timeUnixNano": 1.0e9}]}},
        {"name": "h", "histogram": {"aggregationTemporality": 1, "dataPoints": [
          {"count": 3, "sum": 1.5, "bucketCounts": ["1", 2], "explicitBounds": [1, "2.5"], "min": 0, "max": "3"}
        ]}}
      ]
    }]
  }]
}'''
    hand_request = service.ExportMetricsServiceRequest()
    json_format.Parse(hand_json, hand_request, ignore_unknown_fields=True)
    valid("hand_written.json", hand_json.encode(), dump(hand_request), "json",
          "numbers for 64-bit integers, NaN/Infinity strings, enum names, exemplars, unknown keys, escapes, base64")

    # Malformed protobuf.
    invalid("truncated.pb", canonical[: len(canonical) // 2], "truncated", note="every_kind.pb cut in half")
    wrong = field_bytes(1, field_bytes(2, field_bytes(2, field_varint(1, 5))))  # Metric.name as a varint
    invalid("wrong_wire_type.pb", wrong, "wrong_wire_type", note="Metric.name (field 1) sent as a varint")
    invalid("deep_nesting.pb", request_with_point_attribute(deep_attribute(40)), "nesting_too_deep",
            note="an attribute 40 arrays deep")
    group = field_bytes(1, tag(7, 3) + field_varint(1, 1) + tag(7, 4))
    invalid("group.pb", group, "group_not_supported", note="an unknown field in ResourceMetrics sent as a group")
    invalid("invalid_utf8.pb", field_bytes(1, field_bytes(2, field_bytes(2, field_bytes(1, b"bad\xc3(name")))),
            "invalid_utf8", note="Metric.name is not UTF-8")
    invalid("varint_overflow.pb", field_bytes(1, field_bytes(1, tag(2, 0) + b"\xff" * 9 + b"\x02")),
            "varint_overflow", note="Resource.dropped_attributes_count is 11 bytes long")
    invalid("length_past_end.pb", tag(1, 2) + varint(1000) + b"\x00" * 10, "truncated",
            note="a length larger than the body")
    invalid("packed_fixed64_odd_length.pb",
            field_bytes(1, field_bytes(2, field_bytes(2, field_bytes(9, field_bytes(1, field_bytes(6, b"\x00" * 7)))))),
            "truncated", note="packed bucket_counts of 7 bytes")
    # Malformed JSON.
    invalid("deep_nesting.json", (b'{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":'
                                  + b'{"arrayValue":{"values":[' * 40 + b'{"stringValue":"x"}'
                                  + b']}}' * 40 + b'}]}}]}'), "nesting_too_deep", "json",
            "an attribute 40 arrays deep")
    invalid("syntax_error.json", b'{"resourceMetrics": [}', "invalid_json", "json", "a closing brace in an array")
    invalid("trailing_garbage.json", b'{} x', "invalid_json", "json", "bytes after the value")
    invalid("wrong_type.json", b'{"resourceMetrics": {"resource": {}}}', "invalid_json_value", "json",
            "an object where an array is wanted")
    invalid("bad_integer.json",
            b'{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asInt":"12x"}]}}]}]}]}',
            "invalid_json_value", "json", "asInt is not an integer")
    invalid("bad_enum.json",
            b'{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregationTemporality":"SOMETIMES"}}]}]}]}',
            "invalid_json_value", "json", "an unknown enum name")
    invalid("invalid_utf8.json", b'{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"\xff"}]}]}]}',
            "invalid_utf8", "json", "a name that is not UTF-8")

    manifest.sort(key=lambda entry: entry["file"])
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
