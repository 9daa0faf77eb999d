//! Folds a stream of spans into one compact row per trace, for `list`, in bounded memory.
//!
//! The spans of a trace can be spread over several lines and files, so a trace stays *open*
//! (one small [`Acc`]) until it is complete, then it is *finalized*: checked against the
//! filters and handed on as a [`Summary`] — to a [`TopN`] for `--limit N`, or printed
//! straight away for `--limit 0`. Memory is bounded by [`Bounds`], never by the size of the
//! store:
//!
//! * A trace is complete once its local root (a span with no parent or a remote parent; an
//!   exporter writes it last, as it ends last) has arrived and [`Bounds::grace`] more traces
//!   have completed after it, so a child span written a little after its root still counts.
//! * At most [`Bounds::max_open`] traces are open: past that, the one seen first is
//!   finalized early (a trace whose root was never exported, or a store with traces spread
//!   very widely).
//! * The ids of the last [`Bounds::recent`] finalized traces are remembered: a span of one of
//!   them (a *late* span) is left out and counted — `list` prints a note — instead of
//!   starting a second row for the same trace. A span arriving even later than that does
//!   start a second row: the remaining edge of a bounded scan.
//!
//! Strings (root names, models, services, sampling decisions) are interned as shared
//! `Rc<str>`s; the interner drops the strings no open trace or kept row holds any more, so
//! it does not grow with per-trace unique values. Spans, attributes and content are dropped
//! as soon as they are folded.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::rc::Rc;

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

/// The bounds of a scan's memory (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// Most traces open at once; past it the trace seen first is finalized early.
    pub(crate) max_open: usize,
    /// Traces completed after a trace's local root before that trace is finalized.
    pub(crate) grace: usize,
    /// Finalized trace ids remembered, so their late spans do not start a second row.
    pub(crate) recent: usize,
}

impl Bounds {
    /// `list`'s bounds: about 10 MB at most for open traces (a few hundred bytes each; only
    /// reached by traces whose root never arrives), under 1 MB for the remembered ids.
    pub(crate) const DEFAULT: Bounds = Bounds {
        max_open: 32_768,
        grace: 4_096,
        recent: 16_384,
    };
}

const MATCH_MODEL: u8 = 1;
const MATCH_PROMPT: u8 = 2;
const MATCH_TENANT: u8 = 4;

/// Per-trace accumulator.
#[derive(Debug)]
struct Acc {
    start: u64,
    end: u64,
    /// Tokens on model-call spans.
    call_in: u64,
    call_out: u64,
    /// Tokens on other spans (used only when no model-call span reported usage).
    other_in: u64,
    other_out: u64,
    cost: f64,
    root_start: u64,
    spans: u32,
    errors: u32,
    /// Root candidate: rank (0 no parent, 1 remote parent, 2 other), start, name.
    root_rank: u8,
    matches: u8,
    has_call_usage: bool,
    has_cost: bool,
    root_name: Option<Rc<str>>,
    service: Option<Rc<str>>,
    sampling: Option<Rc<str>>,
    models: Vec<Rc<str>>,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            start: 0,
            end: 0,
            call_in: 0,
            call_out: 0,
            other_in: 0,
            other_out: 0,
            cost: 0.0,
            root_start: 0,
            spans: 0,
            errors: 0,
            root_rank: u8::MAX,
            matches: 0,
            has_call_usage: false,
            has_cost: false,
            root_name: None,
            service: None,
            sampling: None,
            models: Vec::new(),
        }
    }
}

impl Acc {
    fn tokens(&self) -> (u64, u64) {
        if self.has_call_usage {
            (self.call_in, self.call_out)
        } else {
            (self.other_in, self.other_out)
        }
    }
}

/// Shares equal strings between traces. Strings that only the interner still holds are
/// dropped whenever it has doubled since the last sweep, so its size stays within twice the
/// strings in use (at least [`Interner::MIN_SWEEP`]).
#[derive(Debug)]
struct Interner {
    strings: HashSet<Rc<str>>,
    sweep_at: usize,
}

impl Interner {
    const MIN_SWEEP: usize = 1_024;

    fn new() -> Self {
        Interner {
            strings: HashSet::new(),
            sweep_at: Self::MIN_SWEEP,
        }
    }

    fn intern(&mut self, text: &str) -> Rc<str> {
        if let Some(known) = self.strings.get(text) {
            return Rc::clone(known);
        }
        if self.strings.len() >= self.sweep_at {
            self.strings.retain(|s| Rc::strong_count(s) > 1);
            self.sweep_at = (self.strings.len() * 2).max(Self::MIN_SWEEP);
        }
        let text: Rc<str> = Rc::from(text);
        self.strings.insert(Rc::clone(&text));
        text
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

/// A finalized trace that passed the filters.
#[derive(Debug)]
pub(crate) struct Summary {
    id: u128,
    acc: Acc,
}

impl Summary {
    /// The order of `list`: newest first (by start time), then by id. Smaller is shown first.
    fn rank(&self) -> (Reverse<u64>, u128) {
        (Reverse(self.acc.start), self.id)
    }

    /// The printed row.
    pub(crate) fn row(&self) -> TraceRow {
        let acc = &self.acc;
        let (input_tokens, output_tokens) = acc.tokens();
        let text = |s: &Option<Rc<str>>| s.as_deref().map(str::to_owned);
        TraceRow {
            trace_id: format!("{:032x}", self.id),
            start_unix_nanos: acc.start,
            duration_nanos: acc.end.saturating_sub(acc.start),
            root: text(&acc.root_name),
            service: text(&acc.service),
            spans: acc.spans,
            errors: acc.errors,
            models: acc.models.iter().map(|m| m.to_string()).collect(),
            input_tokens,
            output_tokens,
            cost_usd: acc.has_cost.then_some(acc.cost),
            sampling: text(&acc.sampling),
        }
    }
}

impl PartialEq for Summary {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}

impl Eq for Summary {}

impl PartialOrd for Summary {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Summary {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// The newest `limit` summaries pushed: a max-heap of at most `limit` entries whose top is
/// the oldest kept, so memory is O(`limit`) whatever the number of traces.
#[derive(Debug)]
pub(crate) struct TopN {
    limit: usize,
    heap: BinaryHeap<Summary>,
}

impl TopN {
    /// Keeps the newest `limit` (at least 1).
    pub(crate) fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        TopN {
            limit,
            heap: BinaryHeap::with_capacity(limit.min(4_096) + 1),
        }
    }

    /// Offers one summary.
    pub(crate) fn push(&mut self, summary: Summary) {
        if self.heap.len() < self.limit {
            self.heap.push(summary);
        } else if self.heap.peek().is_some_and(|oldest| summary < *oldest) {
            self.heap.pop();
            self.heap.push(summary);
        }
    }

    /// The kept rows, newest first.
    pub(crate) fn into_rows(self) -> Vec<TraceRow> {
        self.heap
            .into_sorted_vec()
            .iter()
            .map(Summary::row)
            .collect()
    }
}

/// An open trace.
#[derive(Debug)]
struct Open {
    /// Order of first sight (the key in [`Summaries::order`]).
    seq: u64,
    rooted: bool,
    acc: Acc,
}

/// The state of a whole scan (see the module docs).
#[derive(Debug)]
pub(crate) struct Summaries {
    filters: Filters,
    bounds: Bounds,
    /// Boxed, so the table's empty slots stay small.
    open: HashMap<u128, Box<Open>>,
    /// Open traces by first sight, for finalizing the oldest past `max_open`.
    order: BTreeMap<u64, u128>,
    next_seq: u64,
    /// Traces whose local root arrived, in arrival order (an id may since have been
    /// finalized early).
    rooted: VecDeque<u128>,
    /// The last `recent` finalized ids, oldest first, and the same as a set.
    recent: VecDeque<u128>,
    recent_set: HashSet<u128>,
    strings: Interner,
    traces: u64,
    matched: u64,
    late_spans: u64,
}

impl Summaries {
    pub(crate) fn new(filters: Filters) -> Self {
        Self::with_bounds(filters, Bounds::DEFAULT)
    }

    pub(crate) fn with_bounds(filters: Filters, bounds: Bounds) -> Self {
        Summaries {
            filters,
            bounds: Bounds {
                max_open: bounds.max_open.max(1),
                ..bounds
            },
            // Sized up front for the steady state: removals leave tombstones, and a table
            // more than half full of live entries would double on its next clean-up.
            open: HashMap::with_capacity(2 * (bounds.grace + 1).min(bounds.max_open)),
            order: BTreeMap::new(),
            next_seq: 0,
            rooted: VecDeque::with_capacity(bounds.grace + 1),
            recent: VecDeque::with_capacity(bounds.recent),
            recent_set: HashSet::with_capacity(2 * bounds.recent),
            strings: Interner::new(),
            traces: 0,
            matched: 0,
            late_spans: 0,
        }
    }

    /// Traces finalized so far (all of them after [`Summaries::finish`]).
    pub(crate) fn traces(&self) -> u64 {
        self.traces
    }

    /// Finalized traces that passed the filters.
    pub(crate) fn matched(&self) -> u64 {
        self.matched
    }

    /// Spans left out because their trace had already been finalized.
    pub(crate) fn late_spans(&self) -> u64 {
        self.late_spans
    }

    /// Folds one span into its trace; hands every trace this finalizes (and that passes the
    /// filters) to `done`.
    pub(crate) fn add(&mut self, span: &SpanRecord, done: &mut dyn FnMut(Summary)) {
        let Ok(key) = u128::from_str_radix(&span.trace_id, 16) else {
            return;
        };
        if !self.open.contains_key(&key) {
            if self.recent_set.contains(&key) {
                self.late_spans += 1;
                return;
            }
            while self.open.len() >= self.bounds.max_open {
                let Some((_, oldest)) = self.order.pop_first() else {
                    break;
                };
                self.finalize(oldest, done);
            }
            let seq = self.next_seq;
            self.next_seq += 1;
            self.order.insert(seq, key);
            self.open.insert(
                key,
                Box::new(Open {
                    seq,
                    rooted: false,
                    acc: Acc::default(),
                }),
            );
        }
        let Some(open) = self.open.get_mut(&key) else {
            return;
        };
        let rank = fold(&mut open.acc, span, &mut self.strings, &self.filters);
        if rank < 2 && !open.rooted {
            open.rooted = true;
            self.rooted.push_back(key);
            while self.rooted.len() > self.bounds.grace {
                if let Some(id) = self.rooted.pop_front() {
                    self.finalize(id, done);
                }
            }
        }
    }

    /// Finalizes every open trace, in order of first sight.
    pub(crate) fn finish(&mut self, done: &mut dyn FnMut(Summary)) {
        while let Some((_, id)) = self.order.pop_first() {
            self.finalize(id, done);
        }
        self.rooted.clear();
    }

    fn finalize(&mut self, id: u128, done: &mut dyn FnMut(Summary)) {
        let Some(open) = self.open.remove(&id) else {
            return;
        };
        self.order.remove(&open.seq);
        if self.bounds.recent > 0 {
            if self.recent.len() >= self.bounds.recent {
                if let Some(old) = self.recent.pop_front() {
                    self.recent_set.remove(&old);
                }
            }
            self.recent.push_back(id);
            self.recent_set.insert(id);
        }
        self.traces += 1;
        if self.keep(&open.acc) {
            self.matched += 1;
            let Open { acc, .. } = *open;
            done(Summary { id, acc });
        }
    }

    fn keep(&self, acc: &Acc) -> bool {
        let f = &self.filters;
        let (input, output) = acc.tokens();
        (!f.errors || acc.errors > 0)
            && (f.model.is_none() || acc.matches & MATCH_MODEL != 0)
            && (f.prompt_version.is_none() || acc.matches & MATCH_PROMPT != 0)
            && (f.tenant.is_none() || acc.matches & MATCH_TENANT != 0)
            && f.since.is_none_or(|since| acc.start >= since)
            && f.min_tokens
                .is_none_or(|min| input.saturating_add(output) >= min)
    }
}

/// Folds `span` into `acc`; returns the span's root rank (0 no parent, 1 remote parent,
/// 2 other).
fn fold(acc: &mut Acc, span: &SpanRecord, strings: &mut Interner, filters: &Filters) -> u8 {
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
    if rank < acc.root_rank || (rank == acc.root_rank && span.start_unix_nanos < acc.root_start) {
        acc.root_rank = rank;
        acc.root_start = span.start_unix_nanos;
        acc.root_name = (rank < 2).then(|| strings.intern(&span.name));
    }
    if acc.service.is_none() {
        if let Some(service) = span.resource_str("service.name") {
            acc.service = Some(strings.intern(service));
        }
    }
    if let Some(decision) = span.attr_str(semconv::SAMPLING_DECISION) {
        // The decision is recorded on the local root; prefer the root's.
        if acc.sampling.is_none() || rank == 0 {
            acc.sampling = Some(strings.intern(decision));
        }
    }

    let input = span
        .attr_i64(semconv::GEN_AI_USAGE_INPUT_TOKENS)
        .and_then(|n| u64::try_from(n).ok());
    let output = span
        .attr_i64(semconv::GEN_AI_USAGE_OUTPUT_TOKENS)
        .and_then(|n| u64::try_from(n).ok());
    if is_model_call(span) {
        if input.is_some() || output.is_some() {
            acc.has_call_usage = true;
        }
        acc.call_in = acc.call_in.saturating_add(input.unwrap_or(0));
        acc.call_out = acc.call_out.saturating_add(output.unwrap_or(0));
        let model = span
            .attr_str(semconv::GEN_AI_REQUEST_MODEL)
            .or_else(|| span.attr_str(semconv::GEN_AI_RESPONSE_MODEL));
        if let Some(model) = model {
            if !acc.models.iter().any(|known| **known == *model) {
                acc.models.push(strings.intern(model));
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
    rank
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

    /// Trace `i`: a child span then its root (in end order, as exporters write them).
    fn trace(i: u64) -> [SpanRecord; 2] {
        let id = format!("{:032x}", i + 1);
        [
            chat(&id, "00000000000000c1", 1_000 + i, "m", 1),
            span(&id, "00000000000000r1", None, 1_000 + i, &[]),
        ]
    }

    /// Every summary the scan finalizes, in order.
    fn scan(summaries: &mut Summaries, spans: &[SpanRecord]) -> Vec<TraceRow> {
        let mut rows = Vec::new();
        for s in spans {
            summaries.add(s, &mut |done| rows.push(done.row()));
        }
        summaries.finish(&mut |done| rows.push(done.row()));
        rows
    }

    #[test]
    fn folds_spans_into_rows() {
        let mut error = chat(A, "00000000000000c2", 130, "gpt-4.1", 5);
        error.status = StatusRecord {
            code: StatusCodeRecord::Error,
            message: "boom".into(),
        };
        let spans = [
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
        ];
        let mut summaries = Summaries::new(Filters::default());
        let mut top = TopN::new(10);
        for s in &spans {
            summaries.add(s, &mut |done| top.push(done));
        }
        summaries.finish(&mut |done| top.push(done));
        assert_eq!((summaries.traces(), summaries.matched()), (2, 2));
        let rows = top.into_rows();
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
        let rows = scan(
            &mut summaries,
            &[
                chat(A, "00000000000000c1", 120, "gpt-4.1-mini", 10),
                chat(B, "00000000000000d1", 500, "gpt-4.1-mini", 1), // too few tokens
            ],
        );
        assert_eq!(summaries.matched(), 1);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].trace_id, A);

        let mut errors_only = Summaries::new(Filters {
            errors: true,
            ..Filters::default()
        });
        let rows = scan(
            &mut errors_only,
            &[chat(A, "00000000000000c1", 120, "gpt-4.1-mini", 10)],
        );
        assert!(rows.is_empty());
        assert_eq!((errors_only.traces(), errors_only.matched()), (1, 0));
    }

    #[test]
    fn top_n_keeps_the_newest() {
        let mut top = TopN::new(3);
        let mut summaries = Summaries::new(Filters::default());
        // Out of start order, so the heap has to replace entries.
        for i in [5, 1, 9, 3, 7, 8, 2, 6, 4, 0] {
            for s in trace(i) {
                summaries.add(&s, &mut |done| top.push(done));
            }
        }
        summaries.finish(&mut |done| top.push(done));
        let rows = top.into_rows();
        let starts: Vec<u64> = rows.iter().map(|r| r.start_unix_nanos).collect();
        assert_eq!(starts, [1_009, 1_008, 1_007]);
        assert_eq!(summaries.matched(), 10);
    }

    #[test]
    fn completed_traces_are_finalized_after_the_grace_window() {
        let bounds = Bounds {
            max_open: 100,
            grace: 2,
            recent: 4,
        };
        let mut summaries = Summaries::with_bounds(Filters::default(), bounds);
        let mut done = Vec::new();
        for i in 0..5 {
            for s in trace(i) {
                summaries.add(&s, &mut |d| done.push(d.row().start_unix_nanos));
            }
            assert!(
                summaries.open.len() <= 2,
                "at most `grace` complete traces held"
            );
        }
        // Traces 0..3 were finalized in the order their roots arrived; 3 and 4 wait.
        assert_eq!(done, [1_000, 1_001, 1_002]);
        summaries.finish(&mut |d| done.push(d.row().start_unix_nanos));
        assert_eq!(done, [1_000, 1_001, 1_002, 1_003, 1_004]);
    }

    #[test]
    fn late_spans_within_the_grace_window_count() {
        let bounds = Bounds {
            max_open: 100,
            grace: 2,
            recent: 2,
        };
        let mut summaries = Summaries::with_bounds(Filters::default(), bounds);
        let [child, root] = trace(0);
        let late = chat(&root.trace_id, "00000000000000c9", 1_500, "m", 7);
        let mut spans = vec![root, child];
        spans.extend(trace(1));
        spans.push(late.clone()); // one trace completed since trace 0's root: merged
        spans.extend(trace(2));
        spans.extend(trace(3));
        spans.push(late.clone()); // trace 0 is finalized and remembered: left out
        spans.extend(trace(4));
        spans.extend(trace(5));
        spans.extend(trace(6));
        spans.push(late); // trace 0 forgotten: a second row (the documented edge)
        let rows = scan(&mut summaries, &spans);
        let first: Vec<&TraceRow> = rows
            .iter()
            .filter(|r| r.trace_id == rows[0].trace_id)
            .collect();
        assert_eq!(first[0].spans, 3);
        assert_eq!(first[0].input_tokens, 8);
        assert_eq!(summaries.late_spans(), 1);
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].spans, 1);
        assert_eq!(rows.len(), 8);
    }

    #[test]
    fn open_traces_are_capped() {
        let bounds = Bounds {
            max_open: 3,
            grace: 100,
            recent: 100,
        };
        let mut summaries = Summaries::with_bounds(Filters::default(), bounds);
        // Roots never arrive: only the cap finalizes.
        let spans: Vec<SpanRecord> = (0..10).map(|i| trace(i)[0].clone()).collect();
        let mut done = Vec::new();
        for s in &spans {
            summaries.add(s, &mut |d| done.push(d.row().start_unix_nanos));
            assert!(summaries.open.len() <= 3);
            assert!(summaries.order.len() <= 3);
        }
        assert_eq!(done, (1_000..1_007).collect::<Vec<_>>(), "oldest first");
        summaries.finish(&mut |d| done.push(d.row().start_unix_nanos));
        assert_eq!(done.len(), 10);
        assert!(summaries.open.is_empty() && summaries.order.is_empty());
    }

    #[test]
    fn memory_does_not_grow_with_the_number_of_traces() {
        let bounds = Bounds {
            max_open: 64,
            grace: 8,
            recent: 16,
        };
        let mut summaries = Summaries::with_bounds(Filters::default(), bounds);
        let mut top = TopN::new(5);
        for i in 0..20_000_u64 {
            let id = format!("{:032x}", i + 1);
            // A unique root name per trace, the interner's worst case.
            let mut root = span(&id, "00000000000000r1", None, 1_000 + i, &[]);
            root.name = format!("GET /orders/{i}");
            let mut orphan = trace(i)[0].clone();
            orphan.trace_id = format!("{:032x}", u128::from(i) << 64);
            orphan.name = format!("orphan {i}");
            for s in [trace(i)[0].clone(), root, orphan] {
                summaries.add(&s, &mut |d| top.push(d));
            }
            assert!(summaries.open.len() <= 64);
            assert!(summaries.rooted.len() <= 8);
            assert!(summaries.recent.len() <= 16 && summaries.recent_set.len() <= 16);
            assert!(summaries.strings.strings.len() <= 2 * (64 + 5) * 3 + Interner::MIN_SWEEP);
            assert!(top.heap.len() <= 5);
        }
        summaries.finish(&mut |d| top.push(d));
        assert_eq!(summaries.traces(), 40_000);
        let rows = top.into_rows();
        assert_eq!(rows[0].root.as_deref(), Some("GET /orders/19999"));
    }

    #[test]
    fn the_interner_drops_unused_strings() {
        let mut strings = Interner::new();
        let kept = strings.intern("kept");
        for i in 0..10_000 {
            let _ = strings.intern(&format!("unique {i}"));
        }
        assert!(strings.strings.len() <= Interner::MIN_SWEEP + 1);
        assert!(Rc::ptr_eq(&kept, &strings.intern("kept")));
    }
}
