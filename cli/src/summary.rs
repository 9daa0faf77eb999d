//! Folds a stream of spans into one compact row per trace, for `list`.
//!
//! Memory: one [`Acc`] per distinct trace (about 150 bytes, plus the trace's distinct model
//! names as small integers), with every string (root names, models, sampling decisions)
//! interned once for the whole store. Spans, attributes and content are dropped as soon as
//! they are folded, so memory does not grow with spans per trace or with recorded content.

use std::collections::HashMap;

use genai_otel::otlp_json::SpanRecord;
use genai_otel::semconv;

/// Which traces to keep (all conditions must hold).
#[derive(Debug, Default, Clone)]
pub(crate) struct Filters {
    /// Only traces with at least one error span.
    pub(crate) errors: bool,
    /// Only traces where a span's request or response model is this.
    pub(crate) model: Option<String>,
    /// Only traces where a span's prompt version (`gen_ai.prompt.version` or
    /// `genai_otel.prompt.version_id`) is this.
    pub(crate) prompt_version: Option<String>,
    /// Only traces where a span's tenant (`genai_otel.tenant.id`) is this.
    pub(crate) tenant: Option<String>,
    /// Only traces that started at or after this time (ns since the epoch).
    pub(crate) since: Option<u64>,
    /// Only traces with at least this many tokens (input + output).
    pub(crate) min_tokens: Option<u64>,
}

/// One trace, as `list` prints it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TraceRow {
    pub(crate) trace_id: String,
    pub(crate) start_unix_nanos: u64,
    pub(crate) duration_nanos: u64,
    /// The root span's name; `None` when the root was not exported.
    pub(crate) root: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) spans: u32,
    pub(crate) errors: u32,
    pub(crate) models: Vec<String>,
    pub(crate) input_tokens: u64,
    pub(crate) output_tokens: u64,
    pub(crate) cost_usd: Option<f64>,
    pub(crate) sampling: Option<String>,
}

const NONE: u32 = u32::MAX;
const MATCH_MODEL: u8 = 1;
const MATCH_PROMPT: u8 = 2;
const MATCH_TENANT: u8 = 4;

/// Per-trace accumulator.
#[derive(Debug)]
struct Acc {
    start: u64,
    end: u64,
    spans: u32,
    errors: u32,
    /// Tokens on model-call spans.
    call_in: u64,
    call_out: u64,
    /// Tokens on other spans (used only when no model-call span reported usage).
    other_in: u64,
    other_out: u64,
    has_call_usage: bool,
    cost: f64,
    has_cost: bool,
    /// Root candidate: rank (0 no parent, 1 remote parent, 2 other), start, interned name.
    root_rank: u8,
    root_start: u64,
    root_name: u32,
    service: u32,
    sampling: u32,
    models: Vec<u32>,
    matches: u8,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            start: 0,
            end: 0,
            spans: 0,
            errors: 0,
            call_in: 0,
            call_out: 0,
            other_in: 0,
            other_out: 0,
            has_call_usage: false,
            cost: 0.0,
            has_cost: false,
            root_rank: u8::MAX,
            root_start: 0,
            root_name: NONE,
            service: NONE,
            sampling: NONE,
            models: Vec::new(),
            matches: 0,
        }
    }
}

#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(NONE - 1);
        self.names.push(text.to_owned());
        self.ids.insert(text.to_owned(), id);
        id
    }

    fn get(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str)
    }
}

/// Whether a span is a model call (its tokens and model count towards the trace).
pub(crate) fn is_model_call(span: &SpanRecord) -> bool {
    matches!(
        span.attr_str(semconv::GEN_AI_OPERATION_NAME),
        Some(
            semconv::operation::CHAT
                | semconv::operation::TEXT_COMPLETION
                | semconv::operation::GENERATE_CONTENT
                | semconv::operation::EMBEDDINGS
        )
    )
}

/// The accumulator of a whole scan.
#[derive(Debug, Default)]
pub(crate) struct Summaries {
    index: HashMap<u128, usize>,
    ids: Vec<u128>,
    accs: Vec<Acc>,
    strings: Interner,
    filters: Filters,
}

impl Summaries {
    pub(crate) fn new(filters: Filters) -> Self {
        Summaries {
            filters,
            ..Summaries::default()
        }
    }

    /// Distinct traces seen.
    pub(crate) fn traces(&self) -> usize {
        self.ids.len()
    }

    /// Folds one span into its trace.
    pub(crate) fn add(&mut self, span: &SpanRecord) {
        let Ok(key) = u128::from_str_radix(&span.trace_id, 16) else {
            return;
        };
        let slot = match self.index.get(&key) {
            Some(&slot) => slot,
            None => {
                self.index.insert(key, self.accs.len());
                self.ids.push(key);
                self.accs.push(Acc::default());
                self.accs.len() - 1
            }
        };
        let strings = &mut self.strings;
        let filters = &self.filters;
        let acc = &mut self.accs[slot];

        acc.spans = acc.spans.saturating_add(1);
        if span.start_unix_nanos != 0 && (acc.start == 0 || span.start_unix_nanos < acc.start) {
            acc.start = span.start_unix_nanos;
        }
        acc.end = acc.end.max(span.end_unix_nanos);
        if span.status.is_error() {
            acc.errors = acc.errors.saturating_add(1);
        }

        let rank = match (&span.parent_span_id, span.parent_is_remote) {
            (None, _) => 0,
            (Some(_), Some(true)) => 1,
            _ => 2,
        };
        if rank < acc.root_rank || (rank == acc.root_rank && span.start_unix_nanos < acc.root_start)
        {
            acc.root_rank = rank;
            acc.root_start = span.start_unix_nanos;
            acc.root_name = if rank < 2 {
                strings.intern(&span.name)
            } else {
                NONE
            };
        }
        if acc.service == NONE {
            if let Some(service) = span.resource_str("service.name") {
                acc.service = strings.intern(service);
            }
        }
        if let Some(decision) = span.attr_str(semconv::SAMPLING_DECISION) {
            // The decision is recorded on the local root; prefer the root's.
            if acc.sampling == NONE || rank == 0 {
                acc.sampling = strings.intern(decision);
            }
        }

        let input = span
            .attr_i64(semconv::GEN_AI_USAGE_INPUT_TOKENS)
            .and_then(|n| u64::try_from(n).ok());
        let output = span
            .attr_i64(semconv::GEN_AI_USAGE_OUTPUT_TOKENS)
            .and_then(|n| u64::try_from(n).ok());
        let model_call = is_model_call(span);
        if model_call {
            if input.is_some() || output.is_some() {
                acc.has_call_usage = true;
            }
            acc.call_in = acc.call_in.saturating_add(input.unwrap_or(0));
            acc.call_out = acc.call_out.saturating_add(output.unwrap_or(0));
            let model = span
                .attr_str(semconv::GEN_AI_REQUEST_MODEL)
                .or_else(|| span.attr_str(semconv::GEN_AI_RESPONSE_MODEL));
            if let Some(model) = model {
                let id = strings.intern(model);
                if !acc.models.contains(&id) {
                    acc.models.push(id);
                }
            }
        } else {
            acc.other_in = acc.other_in.saturating_add(input.unwrap_or(0));
            acc.other_out = acc.other_out.saturating_add(output.unwrap_or(0));
        }
        if let Some(cost) = span.attr_f64(semconv::COST_USD) {
            if cost.is_finite() {
                acc.cost += cost;
                acc.has_cost = true;
            }
        }

        if let Some(wanted) = &filters.model {
            let hit = [
                semconv::GEN_AI_REQUEST_MODEL,
                semconv::GEN_AI_RESPONSE_MODEL,
            ]
            .iter()
            .any(|key| span.attr_str(key) == Some(wanted.as_str()));
            if hit {
                acc.matches |= MATCH_MODEL;
            }
        }
        if let Some(wanted) = &filters.prompt_version {
            let hit = [semconv::GEN_AI_PROMPT_VERSION, semconv::PROMPT_VERSION_ID]
                .iter()
                .any(|key| {
                    span.attr(key)
                        .is_some_and(|value| value.to_string() == *wanted)
                });
            if hit {
                acc.matches |= MATCH_PROMPT;
            }
        }
        if let Some(wanted) = &filters.tenant {
            if span.attr_str(semconv::TENANT_ID) == Some(wanted.as_str()) {
                acc.matches |= MATCH_TENANT;
            }
        }
    }

    fn row(&self, slot: usize) -> TraceRow {
        let acc = &self.accs[slot];
        let (input_tokens, output_tokens) = if acc.has_call_usage {
            (acc.call_in, acc.call_out)
        } else {
            (acc.other_in, acc.other_out)
        };
        let name = |id: u32| (id != NONE).then(|| self.strings.get(id)).flatten();
        TraceRow {
            trace_id: format!("{:032x}", self.ids[slot]),
            start_unix_nanos: acc.start,
            duration_nanos: acc.end.saturating_sub(acc.start),
            root: name(acc.root_name).map(str::to_owned),
            service: name(acc.service).map(str::to_owned),
            spans: acc.spans,
            errors: acc.errors,
            models: acc
                .models
                .iter()
                .filter_map(|&id| self.strings.get(id))
                .map(str::to_owned)
                .collect(),
            input_tokens,
            output_tokens,
            cost_usd: acc.has_cost.then_some(acc.cost),
            sampling: name(acc.sampling).map(str::to_owned),
        }
    }

    fn keep(&self, slot: usize) -> bool {
        let acc = &self.accs[slot];
        let f = &self.filters;
        let tokens = if acc.has_call_usage {
            acc.call_in + acc.call_out
        } else {
            acc.other_in + acc.other_out
        };
        (!f.errors || acc.errors > 0)
            && (f.model.is_none() || acc.matches & MATCH_MODEL != 0)
            && (f.prompt_version.is_none() || acc.matches & MATCH_PROMPT != 0)
            && (f.tenant.is_none() || acc.matches & MATCH_TENANT != 0)
            && f.since.is_none_or(|since| acc.start >= since)
            && f.min_tokens.is_none_or(|min| tokens >= min)
    }

    /// The traces that pass the filters, newest first (by start time, then id), at most
    /// `limit` of them (`0` = all); and how many passed in total.
    pub(crate) fn rows(&self, limit: usize) -> (Vec<TraceRow>, usize) {
        let mut kept: Vec<usize> = (0..self.accs.len()).filter(|&s| self.keep(s)).collect();
        let total = kept.len();
        let order = |a: &usize, b: &usize| {
            self.accs[*b]
                .start
                .cmp(&self.accs[*a].start)
                .then_with(|| self.ids[*a].cmp(&self.ids[*b]))
        };
        if limit > 0 && kept.len() > limit {
            kept.select_nth_unstable_by(limit - 1, order);
            kept.truncate(limit);
        }
        kept.sort_by(order);
        (kept.into_iter().map(|s| self.row(s)).collect(), total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_otel::otlp_json::{AttrValue, StatusCodeRecord, StatusRecord};

    fn span(
        trace: &str,
        id: &str,
        parent: Option<&str>,
        start: u64,
        attrs: &[(&str, AttrValue)],
    ) -> SpanRecord {
        SpanRecord {
            trace_id: trace.into(),
            span_id: id.into(),
            parent_span_id: parent.map(str::to_owned),
            name: format!("span {id}"),
            start_unix_nanos: start,
            end_unix_nanos: start + 10,
            attributes: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            ..SpanRecord::default()
        }
    }

    const A: &str = "0000000000000000000000000000000a";
    const B: &str = "0000000000000000000000000000000b";

    fn chat(trace: &str, id: &str, start: u64, model: &str, tokens: i64) -> SpanRecord {
        span(
            trace,
            id,
            Some("00000000000000r1"),
            start,
            &[
                ("gen_ai.operation.name", AttrValue::Str("chat".into())),
                ("gen_ai.request.model", AttrValue::Str(model.into())),
                ("gen_ai.usage.input_tokens", AttrValue::Int(tokens)),
                ("gen_ai.usage.output_tokens", AttrValue::Int(1)),
                ("genai_otel.cost.usd", AttrValue::Double(0.5)),
            ],
        )
    }

    #[test]
    fn folds_spans_into_rows() {
        let mut summaries = Summaries::new(Filters::default());
        let mut error = chat(A, "00000000000000c2", 130, "gpt-4.1", 5);
        error.status = StatusRecord {
            code: StatusCodeRecord::Error,
            message: "boom".into(),
        };
        for s in [
            chat(A, "00000000000000c1", 120, "gpt-4.1-mini", 10),
            error,
            span(
                A,
                "00000000000000r1",
                None,
                100,
                &[
                    (
                        "genai_otel.sampling.decision",
                        AttrValue::Str("keep:error".into()),
                    ),
                    // An agent span's own usage is not added to its calls' usage.
                    ("gen_ai.usage.input_tokens", AttrValue::Int(1000)),
                ],
            ),
            chat(B, "00000000000000d1", 500, "gpt-4.1-mini", 1),
        ] {
            summaries.add(&s);
        }
        let (rows, total) = summaries.rows(0);
        assert_eq!(total, 2);
        assert_eq!(rows[0].trace_id, B, "newest first");
        assert_eq!(rows[0].root, None, "B's root was not exported");
        let a = &rows[1];
        assert_eq!(a.root.as_deref(), Some("span 00000000000000r1"));
        assert_eq!((a.spans, a.errors), (3, 1));
        assert_eq!(a.models, ["gpt-4.1-mini", "gpt-4.1"]);
        assert_eq!((a.input_tokens, a.output_tokens), (15, 2));
        assert_eq!(a.cost_usd, Some(1.0));
        assert_eq!(a.sampling.as_deref(), Some("keep:error"));
        assert_eq!(a.duration_nanos, 40);
        assert_eq!(summaries.rows(1).0.len(), 1);
    }

    #[test]
    fn filters_combine() {
        let filters = Filters {
            errors: false,
            model: Some("gpt-4.1-mini".into()),
            min_tokens: Some(5),
            since: Some(100),
            ..Filters::default()
        };
        let mut summaries = Summaries::new(filters);
        summaries.add(&chat(A, "00000000000000c1", 120, "gpt-4.1-mini", 10));
        summaries.add(&chat(B, "00000000000000d1", 500, "gpt-4.1-mini", 1)); // too few tokens
        let (rows, total) = summaries.rows(0);
        assert_eq!(total, 1);
        assert_eq!(rows[0].trace_id, A);

        let mut errors_only = Summaries::new(Filters {
            errors: true,
            ..Filters::default()
        });
        errors_only.add(&chat(A, "00000000000000c1", 120, "gpt-4.1-mini", 10));
        assert_eq!(errors_only.rows(0).1, 0);
        assert_eq!(errors_only.traces(), 1);
    }
}
