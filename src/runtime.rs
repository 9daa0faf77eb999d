//! The settings spans consult at record time, found through the active `tracing` dispatcher
//! so that a scoped (per-test) install and the global install each see their own.

use std::sync::{Arc, OnceLock};

use tracing_subscriber::Layer;

use crate::content::ContentCapture;
use crate::redact::Redactor;

/// Record-time settings: content policy, redactor, user-hash key.
#[derive(Debug)]
pub(crate) struct Runtime {
    pub(crate) content: ContentCapture,
    pub(crate) redactor: Option<Redactor>,
    pub(crate) hash_key: Vec<u8>,
}

/// A no-op layer that carries the [`Runtime`] inside the subscriber; found by downcasting.
#[derive(Debug)]
pub(crate) struct RuntimeLayer(pub(crate) Arc<Runtime>);

impl<S: tracing::Subscriber> Layer<S> for RuntimeLayer {}

/// The settings of the active dispatcher, or the defaults (content off, built-in redaction,
/// a random per-process hash key) when the crate was not initialised.
pub(crate) fn current() -> Arc<Runtime> {
    tracing::dispatcher::get_default(|d| d.downcast_ref::<RuntimeLayer>().map(|l| l.0.clone()))
        .unwrap_or_else(fallback)
}

fn fallback() -> Arc<Runtime> {
    static FALLBACK: OnceLock<Arc<Runtime>> = OnceLock::new();
    FALLBACK
        .get_or_init(|| {
            let key = crate::user::process_random_key().to_vec();
            Arc::new(Runtime {
                content: ContentCapture::off(),
                redactor: crate::redact::builtin()
                    .ok()
                    .map(|r| r.with_default_key(&key)),
                hash_key: key,
            })
        })
        .clone()
}
