//! Prompt-metadata inheritance: attributes attached to a span are copied onto every span
//! started below it afterwards, whoever creates that span (this crate, the app, another
//! library). Implemented as the first span processor of the pipeline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use opentelemetry::trace::{Span as _, SpanId, TraceContextExt};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use opentelemetry_sdk::Resource;

/// Spans with inheritable attributes at most (a bound against spans that never end).
const MAX_SCOPES: usize = 100_000;
const SHARDS: usize = 16;

type Attrs = Arc<Vec<KeyValue>>;

struct Scopes {
    shards: [Mutex<HashMap<SpanId, Attrs>>; SHARDS],
    len: AtomicUsize,
}

fn scopes() -> &'static Scopes {
    static SCOPES: OnceLock<Scopes> = OnceLock::new();
    SCOPES.get_or_init(|| Scopes {
        shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
        len: AtomicUsize::new(0),
    })
}

impl Scopes {
    fn shard(&self, id: SpanId) -> MutexGuard<'_, HashMap<SpanId, Attrs>> {
        let idx = (u64::from_be_bytes(id.to_bytes()) as usize) % SHARDS;
        self.shards[idx]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, id: SpanId) -> Option<Attrs> {
        if self.len.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.shard(id).get(&id).cloned()
    }

    fn insert(&self, id: SpanId, attrs: Attrs) {
        let mut shard = self.shard(id);
        if shard.insert(id, attrs).is_none() {
            self.len.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn remove(&self, id: SpanId) {
        if self.len.load(Ordering::Relaxed) == 0 {
            return;
        }
        if self.shard(id).remove(&id).is_some() {
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Makes `attrs` inheritable from the span `id` on: spans started under it from now on get
/// them (keys already inherited from above are overridden).
pub(crate) fn attach(id: SpanId, attrs: Vec<KeyValue>) {
    if id == SpanId::INVALID || attrs.is_empty() {
        return;
    }
    let s = scopes();
    if s.len.load(Ordering::Relaxed) >= MAX_SCOPES {
        return;
    }
    let merged = match s.get(id) {
        Some(existing) => {
            let mut merged: Vec<KeyValue> = existing
                .iter()
                .filter(|kv| !attrs.iter().any(|a| a.key == kv.key))
                .cloned()
                .collect();
            merged.extend(attrs);
            merged
        }
        None => attrs,
    };
    s.insert(id, Arc::new(merged));
}

/// Copies inherited attributes onto each new span, then delegates to `inner`.
#[derive(Debug)]
pub(crate) struct InheritProcessor<P> {
    inner: P,
}

impl<P> InheritProcessor<P> {
    pub(crate) fn new(inner: P) -> Self {
        Self { inner }
    }
}

impl<P: SpanProcessor> SpanProcessor for InheritProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        let s = scopes();
        if s.len.load(Ordering::Relaxed) > 0 {
            let parent = cx.span().span_context().clone();
            if parent.is_valid() && !parent.is_remote() {
                if let Some(attrs) = s.get(parent.span_id()) {
                    for kv in attrs.iter() {
                        span.set_attribute(kv.clone());
                    }
                    let own = span.span_context().span_id();
                    if s.len.load(Ordering::Relaxed) < MAX_SCOPES {
                        s.insert(own, attrs);
                    }
                }
            }
        }
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        scopes().remove(span.span_context.span_id());
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
