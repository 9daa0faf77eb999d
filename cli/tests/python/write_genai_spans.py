"""Writes GenAI spans with the Python OpenTelemetry SDK and its OTLP/JSON file exporter.

Usage: python write_genai_spans.py OUT.jsonl

An independent writer for the genai-otel CLI tests: one support trace (agent -> retrieval ->
chat calling a tool -> failing tool -> chat answering in JSON) with the GenAI semantic
conventions' attributes and content, and one plain trace without model calls. Prints the
trace ids, one per line.
"""

import json
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode


def main(path):
    provider = TracerProvider(resource=Resource.create({"service.name": "py-support"}))
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
    tracer = provider.get_tracer("py.genai", "1.0.0")

    question = "Where is order ord_1234?"
    with tracer.start_as_current_span("invoke_agent py_agent", kind=SpanKind.SERVER) as agent:
        agent.set_attribute("gen_ai.operation.name", "invoke_agent")
        agent.set_attribute("gen_ai.agent.name", "py_agent")
        agent.set_attribute("genai_otel.tenant.id", "py-tenant")
        agent.set_attribute("gen_ai.prompt.name", "py_prompt")
        agent.set_attribute("gen_ai.prompt.version", "7")
        support_id = format(agent.get_span_context().trace_id, "032x")

        with tracer.start_as_current_span("retrieval orders_index") as retrieval:
            retrieval.set_attribute("gen_ai.operation.name", "retrieval")
            retrieval.set_attribute("gen_ai.data_source.id", "orders_index")
            retrieval.set_attribute("genai_otel.retrieval.document_ids", ["ord_1234", "faq_9"])
            retrieval.set_attribute("genai_otel.retrieval.document_scores", [0.97, 0.42])

        messages = [{"role": "user", "parts": [{"type": "text", "content": question}]}]
        call = {"type": "tool_call", "id": "call_1", "name": "lookup_order",
                "arguments": {"order_id": "ord_1234"}}
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as chat:
            chat.set_attribute("gen_ai.operation.name", "chat")
            chat.set_attribute("gen_ai.provider.name", "openai")
            chat.set_attribute("gen_ai.request.model", "gpt-4o")
            chat.set_attribute("gen_ai.request.temperature", 0.0)
            chat.set_attribute("gen_ai.usage.input_tokens", 120)
            chat.set_attribute("gen_ai.usage.output_tokens", 15)
            chat.set_attribute("gen_ai.response.finish_reasons", ["tool_calls"])
            chat.set_attribute("genai_otel.cost.usd", 0.0005)
            chat.set_attribute("gen_ai.input.messages", json.dumps(messages))
            chat.set_attribute("gen_ai.output.messages", json.dumps(
                [{"role": "assistant", "parts": [call], "finish_reason": "tool_call"}]))

        with tracer.start_as_current_span("execute_tool lookup_order") as tool:
            tool.set_attribute("gen_ai.operation.name", "execute_tool")
            tool.set_attribute("gen_ai.tool.name", "lookup_order")
            tool.set_attribute("gen_ai.tool.call.id", "call_1")
            tool.set_attribute("gen_ai.tool.call.arguments", json.dumps({"order_id": "ord_1234"}))
            tool.set_attribute("error.type", "TIMEOUT")
            tool.set_status(Status(StatusCode.ERROR, "orders service did not answer in 5s"))

        messages.append({"role": "assistant", "parts": [call]})
        messages.append({"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1",
                                                     "response": {"error": "TIMEOUT"}}]})
        answer = '{"status": "unknown", "message": "Our order system is slow, please retry."}'
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as chat:
            chat.set_attribute("gen_ai.operation.name", "chat")
            chat.set_attribute("gen_ai.provider.name", "openai")
            chat.set_attribute("gen_ai.request.model", "gpt-4o")
            chat.set_attribute("gen_ai.usage.input_tokens", 180)
            chat.set_attribute("gen_ai.usage.output_tokens", 25)
            chat.set_attribute("gen_ai.response.finish_reasons", ["stop"])
            chat.set_attribute("genai_otel.cost.usd", 0.0007)
            chat.set_attribute("gen_ai.input.messages", json.dumps(messages))
            chat.set_attribute("gen_ai.output.messages", json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": answer}],
                  "finish_reason": "stop"}]))

    with tracer.start_as_current_span("GET /healthz", kind=SpanKind.SERVER) as plain:
        plain.set_attribute("http.route", "/healthz")
        plain_id = format(plain.get_span_context().trace_id, "032x")

    provider.shutdown()
    print(support_id)
    print(plain_id)


if __name__ == "__main__":
    main(sys.argv[1])
