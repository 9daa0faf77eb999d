//! Redaction: scrub PII and secrets from content before it exists as a span
//! attribute, and again from every span at export.
//!
//! # The pipeline
//!
//! A [`Redactor`] is an ordered pipeline compiled once by
//! [`RedactorBuilder::build`]. Every string it is given goes through these
//! stages, in this order:
//!
//! 1. **Structure.** If the string is a JSON object or array (messages, tool
//!    arguments and results, documents), it is parsed and walked. At every
//!    depth, each object key is checked against the key rules
//!    ([`RedactorBuilder::json_key`], first match wins, ASCII
//!    case-insensitive) and then, if [`Detector::GENERIC_SECRET`],
//!    [`Detector::AUTH_HEADER`] or [`Detector::AWS_KEY`] is on, against the
//!    built-in secret-bearing names (`password`, `api_key`, `client_secret`,
//!    `authorization`, …) whose scalar values are replaced whole. A value
//!    handled by a key rule is not looked at again. Every other string leaf,
//!    every object key and every number of 7 or more characters then goes
//!    through stages 2 and 3 on its own (a string leaf that is itself JSON is
//!    walked in turn, up to 4 levels). The output keeps the input's
//!    formatting and key order; only edited tokens change. Text that is not
//!    valid JSON is handled as plain text.
//! 2. **Patterns.** One pass of one automaton holding every pattern rule:
//!    the custom regex rules ([`RedactorBuilder::regex`]) and the enabled
//!    built-in [`Detector`]s. Matches are found left to right and never
//!    overlap; when several rules match at the same position, custom rules
//!    win over built-ins (in the order they were added), and built-ins follow
//!    a fixed priority. Each built-in match is checked by its validator (Luhn,
//!    mod-97, octet ranges, …) before it counts.
//! 3. **Functions.** The custom functions ([`RedactorBuilder::function`]), in
//!    the order they were added, each given the output of the previous stage
//!    and returning the byte ranges to replace.
//!
//! ```
//! use genai_otel::{Detector, Redactor};
//!
//! let redactor = Redactor::builder().builtin(Detector::ALL).build()?;
//! assert_eq!(
//!     redactor.redact(r#"{"role":"user","content":"I'm ana@example.com, card 4111 1111 1111 1111"}"#),
//!     r#"{"role":"user","content":"I'm [email], card [card]"}"#
//! );
//! # Ok::<(), genai_otel::BuildError>(())
//! ```
//!
//! Every replaced span is written as a label (`[email]`, `[order_id]`) or a
//! keyed pseudonym (`[email:3f9a1c2b]`), see [`Replacement`].
//!
//! The exporter-side stage ([`Redactor::redact_span`], [`RedactingExporter`])
//! runs the same pipeline over the string values of a finished span, see
//! [`SpanScope`] for which ones.
//!
//! # Failing closed
//!
//! A custom function that panics, returns an error, or returns ranges that
//! are out of bounds or not on character boundaries does not let the value
//! through: the whole value (the whole string, or the one JSON leaf) becomes
//! `[redaction-failed]` and [`Redactor::failure_count`] goes up by one.
//! Redacting already-redacted text is a no-op, so the record-time and
//! export-time passes compose.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

mod detectors;
mod json;
mod scan;
mod span;
mod validate;

pub use detectors::Detector;
pub use span::{RedactingExporter, SpanScope};

use validate::KeyKind;

/// What replaces a value that a key rule ([`KeyAction::Mask`]) masks.
const MASKED: &str = "[redacted]";
/// What replaces a value whose redaction failed.
const FAILED: &str = "[redaction-failed]";
/// How deep JSON nested inside JSON string leaves is walked.
const MAX_NESTED_JSON: u8 = 4;

/// How a replaced span is written.
///
/// # Examples
///
/// ```
/// use genai_otel::{Detector, Redactor, Replacement};
///
/// let labels = Redactor::builder().builtin(Detector::EMAIL).build()?;
/// assert_eq!(labels.redact("mail ana@example.com"), "mail [email]");
///
/// let pseudonyms = Redactor::builder()
///     .builtin(Detector::EMAIL)
///     .replacement(Replacement::Pseudonym)
///     .pseudonym_key(b"a key the app keeps secret")
///     .build()?;
/// let once = pseudonyms.redact("ana@example.com");
/// assert!(once.starts_with("[email:") && once.len() == "[email:3f9a1c2b]".len());
/// // Same input, same key: same token, in any process.
/// assert_eq!(once, pseudonyms.redact("ana@example.com"));
/// assert_ne!(once, pseudonyms.redact("bob@example.com"));
/// # Ok::<(), genai_otel::BuildError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Replacement {
    /// `[label]`: the detector name or the custom rule's name. The default.
    #[default]
    Label,
    /// `[label:xxxxxxxx]`: the label plus the first 32 bits (8 hex digits) of
    /// HMAC-SHA256 over the value, keyed with
    /// [`RedactorBuilder::pseudonym_key`]. Equal values give equal tokens
    /// under the same key, across calls and processes, so a conversation
    /// stays readable ("the same e-mail again") without the e-mail. With 32
    /// bits, two *different* values collide with probability 2⁻³²: fine for
    /// reading traces, not an identifier. Without a key, a random key is
    /// generated once per process (tokens are then only stable within that
    /// process) unless the crate's initialisation supplies its user-hash key.
    Pseudonym,
}

/// What a key rule does to the value of a matching JSON object key or span
/// attribute key.
///
/// # Examples
///
/// ```
/// use genai_otel::{KeyAction, Redactor};
///
/// let r = Redactor::builder()
///     .json_key("password", KeyAction::Drop)
///     .json_key("email", KeyAction::Mask)
///     .json_key("customer_id", KeyAction::Hash)
///     .pseudonym_key(b"k")
///     .build()?;
/// let out = r.redact(r#"{"user":{"password":"x","email":"a@b.co","customer_id":42}}"#);
/// assert!(out.starts_with(r#"{"user":{"email":"[redacted]","customer_id":""#));
/// assert!(!out.contains("password") && !out.contains("42"));
/// # Ok::<(), genai_otel::BuildError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAction {
    /// Remove the key and its value.
    Drop,
    /// Replace the value (of any type) with the string `"[redacted]"`.
    Mask,
    /// Replace the value with a string of 16 hex digits: the first 64 bits of
    /// HMAC-SHA256 over the value's canonical form (a string's own text; any
    /// other JSON value as compact JSON with object keys sorted; any other
    /// span attribute value as its display form), keyed like
    /// [`Replacement::Pseudonym`]. Equal values give equal hashes, so the
    /// field can still be grouped on.
    Hash,
}

/// Why [`RedactorBuilder::build`] (or [`RedactorBuilder::regex`]) refused a
/// configuration. Each message names the fix.
///
/// # Examples
///
/// ```
/// use genai_otel::{BuildError, Redactor};
///
/// let err = Redactor::builder().regex("order_id", r"ord_(\d+").unwrap_err();
/// assert!(matches!(err, BuildError::InvalidPattern { ref rule, .. } if rule == "order_id"));
/// assert!(err.to_string().contains("order_id"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// A rule or function name is empty, too long, or has characters other
    /// than ASCII letters, digits, `_`, `-`, `.` (the name becomes the label
    /// `[name]`).
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// Two custom rules or functions share a name.
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// A custom regex does not parse.
    InvalidPattern {
        /// The rule's name.
        rule: String,
        /// The regex parser's message.
        message: String,
    },
    /// A custom regex can match the empty string, which would replace
    /// nothing with a label between every character.
    MatchesEmpty {
        /// The rule's name.
        rule: String,
    },
    /// The combined automaton exceeded the regex engine's size limits.
    TooLarge {
        /// The engine's message.
        message: String,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidName { name } => write!(
                f,
                "invalid rule name {name:?}: use 1 to 64 ASCII letters, digits, `_`, `-` or `.` \
                 (the name becomes the label `[name]`)"
            ),
            BuildError::DuplicateName { name } => write!(
                f,
                "rule name `{name}` is used twice: give each custom rule and function its own name"
            ),
            BuildError::InvalidPattern { rule, message } => write!(
                f,
                "rule `{rule}`: invalid regex; fix the pattern (syntax of the `regex` crate):\n{message}"
            ),
            BuildError::MatchesEmpty { rule } => write!(
                f,
                "rule `{rule}`: the regex can match the empty string; make it require at least \
                 one character (e.g. `+` instead of `*`)"
            ),
            BuildError::TooLarge { message } => write!(
                f,
                "the combined redaction automaton is too large; use fewer or simpler custom rules \
                 (avoid large counted repetitions like `\\w{{1000}}`): {message}"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

/// The boxed error a custom function returns.
type FnError = Box<dyn std::error::Error + Send + Sync>;
type RuleFn = dyn Fn(&str) -> Result<Vec<Range<usize>>, FnError> + Send + Sync;

struct FnRule {
    name: Box<str>,
    func: Box<RuleFn>,
}

impl fmt::Debug for FnRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Function").field(&self.name).finish()
    }
}

/// Builds a [`Redactor`]. Start with [`Redactor::builder`].
///
/// A new builder has no rule at all: choose built-ins with
/// [`builtin`](Self::builtin) (usually [`Detector::ALL`]).
///
/// # Examples
///
/// ```
/// use genai_otel::{Detector, KeyAction, Redactor, Replacement};
///
/// let redactor = Redactor::builder()
///     .builtin(Detector::ALL)
///     .regex("order_id", r"\bord_\d{4,}\b")?
///     .json_key("password", KeyAction::Drop)
///     .json_key("customer_id", KeyAction::Hash)
///     .function("internal_host", |s| {
///         Ok(s.match_indices("db1.corp.internal").map(|(i, m)| i..i + m.len()).collect())
///     })
///     .replacement(Replacement::Label)
///     .build()?;
/// assert_eq!(
///     redactor.redact("order ord_12345 for ana@example.com on db1.corp.internal"),
///     "order [order_id] for [email] on [internal_host]"
/// );
/// # Ok::<(), genai_otel::BuildError>(())
/// ```
#[must_use = "call `.build()` to get a `Redactor`"]
#[derive(Default)]
pub struct RedactorBuilder {
    detectors: Detector,
    custom: Vec<(String, String)>,
    key_rules: Vec<(String, KeyAction)>,
    functions: Vec<FnRule>,
    replacement: Replacement,
    key: Option<Vec<u8>>,
    scope: SpanScope,
}

impl fmt::Debug for RedactorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactorBuilder")
            .field("detectors", &self.detectors)
            .field("custom", &self.custom)
            .field("key_rules", &self.key_rules)
            .field("functions", &self.functions)
            .field("replacement", &self.replacement)
            .field("pseudonym_key", &self.key.as_ref().map(|_| "<set>"))
            .field("scope", &self.scope)
            .finish()
    }
}

fn check_name(name: &str) -> Result<(), BuildError> {
    if name.is_empty() || name.len() > 64 || !name.bytes().all(validate::is_label_byte) {
        return Err(BuildError::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

impl RedactorBuilder {
    /// Adds built-in detectors (a union with those added before).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Detector, Redactor};
    ///
    /// let r = Redactor::builder().builtin(Detector::EMAIL).builtin(Detector::SSN).build()?;
    /// assert_eq!(r.detectors(), Detector::EMAIL | Detector::SSN);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn builtin(mut self, detectors: Detector) -> Self {
        self.detectors |= detectors;
        self
    }

    /// Adds a custom regex rule; matches are replaced with `[name]` (or a
    /// pseudonym). The pattern uses the syntax of the `regex` crate and is
    /// checked now.
    ///
    /// For the fast path, start patterns with a literal of 3+ bytes (`ord_`)
    /// or a narrow byte class; a pattern that can start with almost any byte
    /// makes every pass a full scan (see [`Redactor`]'s `# Performance`).
    /// Prefer `(?-u:\b)` to `\b` when the text may be non-ASCII.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidName`], [`BuildError::InvalidPattern`] or
    /// [`BuildError::MatchesEmpty`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Redactor;
    ///
    /// let r = Redactor::builder().regex("ticket", r"TCK-\d{6}")?.build()?;
    /// assert_eq!(r.redact("see TCK-123456"), "see [ticket]");
    /// assert!(Redactor::builder().regex("bad", "a*").is_err());
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn regex(mut self, name: &str, pattern: &str) -> Result<Self, BuildError> {
        check_name(name)?;
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(pattern)
            .map_err(|e| BuildError::InvalidPattern {
                rule: name.to_owned(),
                message: e.to_string(),
            })?;
        if hir.properties().minimum_len() == Some(0) {
            return Err(BuildError::MatchesEmpty {
                rule: name.to_owned(),
            });
        }
        self.custom.push((name.to_owned(), pattern.to_owned()));
        Ok(self)
    }

    /// Adds a key rule: any JSON object key (at any depth) or span attribute
    /// key equal to `key` (ASCII case-insensitive; for attribute keys, the
    /// last `.`-separated segment also counts, so `password` matches
    /// `db.password`) gets `action`. Rules are tried in the order added.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{KeyAction, Redactor};
    ///
    /// let r = Redactor::builder().json_key("ssn", KeyAction::Mask).build()?;
    /// assert_eq!(r.redact(r#"[{"SSN": 123}]"#), r#"[{"SSN": "[redacted]"}]"#);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn json_key(mut self, key: &str, action: KeyAction) -> Self {
        self.key_rules.push((key.to_owned(), action));
        self
    }

    /// Adds a custom function: it gets the text (after the pattern stage)
    /// and returns the byte ranges to replace with `[name]` (or a
    /// pseudonym). Ranges may be unsorted or overlap; empty ranges are
    /// ignored.
    ///
    /// The function fails closed: if it panics, returns `Err`, or returns a
    /// range that is out of bounds or not on a character boundary, the whole
    /// value becomes `[redaction-failed]` and
    /// [`Redactor::failure_count`] increases. A panic still runs the
    /// process's panic hook (which prints the panic message, so do not put
    /// the input in it).
    ///
    /// The name is checked by [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Redactor;
    ///
    /// let r = Redactor::builder()
    ///     .function("employee", |s| {
    ///         Ok(s.find("E-").map(|i| i..(i + 7).min(s.len())).into_iter().collect())
    ///     })
    ///     .function("strict", |s| {
    ///         if s.contains('\u{0}') { Err("NUL in input".into()) } else { Ok(vec![]) }
    ///     })
    ///     .build()?;
    /// assert_eq!(r.redact("by E-12345 today"), "by [employee] today");
    /// assert_eq!(r.redact("a\u{0}b"), "[redaction-failed]");
    /// assert_eq!(r.failure_count(), 1);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn function<F>(mut self, name: &str, f: F) -> Self
    where
        F: Fn(&str) -> Result<Vec<Range<usize>>, FnError> + Send + Sync + 'static,
    {
        self.functions.push(FnRule {
            name: name.into(),
            func: Box::new(f),
        });
        self
    }

    /// Chooses labels (the default) or keyed pseudonyms.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Detector, Redactor, Replacement};
    ///
    /// let r = Redactor::builder()
    ///     .builtin(Detector::SSN)
    ///     .replacement(Replacement::Pseudonym)
    ///     .build()?;
    /// assert!(r.redact("123-45-6789").starts_with("[ssn:"));
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn replacement(mut self, replacement: Replacement) -> Self {
        self.replacement = replacement;
        self
    }

    /// Sets the HMAC key for [`Replacement::Pseudonym`] and
    /// [`KeyAction::Hash`]. Keep it secret: anyone with the key can confirm a
    /// guess of a redacted value. Without it, a random per-process key is
    /// used (generated once, at the first `build` that needs it), unless the
    /// crate's initialisation supplies its configured user-hash key.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Detector, Redactor, Replacement};
    ///
    /// let make = |key: &[u8]| {
    ///     Redactor::builder()
    ///         .builtin(Detector::EMAIL)
    ///         .replacement(Replacement::Pseudonym)
    ///         .pseudonym_key(key)
    ///         .build()
    /// };
    /// let a = make(b"key one")?.redact("ana@example.com").into_owned();
    /// assert_eq!(a, make(b"key one")?.redact("ana@example.com"));
    /// assert_ne!(a, make(b"key two")?.redact("ana@example.com"));
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn pseudonym_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.key = Some(key.as_ref().to_vec());
        self
    }

    /// Chooses which span values [`Redactor::redact_span`] scrubs. Default:
    /// [`SpanScope::All`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Redactor, SpanScope};
    ///
    /// let r = Redactor::builder().span_scope(SpanScope::ContentAndEvents).build()?;
    /// assert_eq!(r.span_scope(), SpanScope::ContentAndEvents);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn span_scope(mut self, scope: SpanScope) -> Self {
        self.scope = scope;
        self
    }

    /// Compiles the pipeline.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidName`] / [`BuildError::DuplicateName`] for
    /// function names, [`BuildError::TooLarge`] if the combined automaton is
    /// over the regex engine's limits.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{BuildError, Redactor};
    ///
    /// let err = Redactor::builder()
    ///     .regex("x", "a")?
    ///     .function("x", |_| Ok(vec![]))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err, BuildError::DuplicateName { name: "x".into() });
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn build(self) -> Result<Redactor, BuildError> {
        let mut names: Vec<&str> = Vec::new();
        for name in self
            .custom
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(self.functions.iter().map(|f| &*f.name))
        {
            check_name(name)?;
            if names.contains(&name) {
                return Err(BuildError::DuplicateName {
                    name: name.to_owned(),
                });
            }
            names.push(name);
        }
        let engine = scan::Engine::new(self.detectors, &self.custom)?;
        let (mac, key_source) = match &self.key {
            Some(key) => (keyed_mac(key), KeySource::Explicit),
            None => (keyed_mac(process_key()), KeySource::ProcessRandom),
        };
        let shared = Shared {
            engine,
            detectors: self.detectors,
            key_rules: self.key_rules,
            functions: self.functions,
            replacement: self.replacement,
            scope: self.scope,
            failures: AtomicU64::new(0),
        };
        Ok(Redactor {
            inner: Arc::new(Inner {
                shared: Arc::new(shared),
                mac,
                key_source,
            }),
        })
    }
}

/// Where the HMAC key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeySource {
    Explicit,
    Supplied,
    ProcessRandom,
}

#[derive(Debug)]
struct Shared {
    engine: scan::Engine,
    detectors: Detector,
    key_rules: Vec<(String, KeyAction)>,
    functions: Vec<FnRule>,
    replacement: Replacement,
    scope: SpanScope,
    failures: AtomicU64,
}

struct Inner {
    shared: Arc<Shared>,
    mac: Hmac<Sha256>,
    key_source: KeySource,
}

/// The compiled redaction pipeline. Build one with [`Redactor::builder`];
/// the module documentation describes the stages and their order.
///
/// Cloning is cheap (one `Arc`); clones share the compiled automaton and the
/// failure counter. `Redactor` is `Send + Sync` and is meant to be built once
/// at initialisation and shared.
///
/// # Performance
///
/// One pass per string, O(n) in its length, whatever the number of rules.
/// The automaton is only started at candidate positions: bytes that can
/// begin a match (digits, `@`, `:`, `=`, `+`, `(`, `-`) found 32 bytes at a time
/// with vectorised compares and filtered by a cheap context check (a digit
/// must start a run of 7+ digits or a dotted quad, so decimals and versions
/// are skipped; a `:` must start an IPv6-like group that does not continue a
/// word, so `std::fs` is skipped; or a URL with credentials, or a `key:`
/// assignment whose name ends like a secret name…), and literal prefixes
/// (`sk-`, `ghp_`, `eyJ`, `Bearer`, …) found by SIMD multi-literal searches
/// of at most 32 literals each. When nothing matches, `redact` returns
/// `Cow::Borrowed` and allocates nothing once the thread's automaton cache
/// is warm (checked with a counting allocator by `tests/redaction_alloc.rs`
/// and by the bench); JSON strings containing escape sequences are the
/// exception: they are decoded into one reused buffer per document.
///
/// The automaton itself runs the built-in patterns in a cheaper form: each
/// alternation split into its branches, the trailing token run of a pattern
/// (`sk-[A-Za-z0-9_-]+`, an IPv6 address's hex digits and `%zone`) cut off
/// and extended over with a byte-table loop, and a PEM block's body found
/// by a `memmem` search for its END line, so that the lazy DFA does not
/// walk the length of every token through match states. The replaced spans
/// are the same (a unit test compares both forms).
///
/// Measured with `cargo bench --bench redaction -- --warm-up-time 1
/// --measurement-time 3`: criterion medians, every built-in detector,
/// release build, on a shared 2-core VM (load average 1.3 to 1.5 during
/// this run). The text is prompt-like support chat dense in digits, dates,
/// prices, versions, times, code and URLs; "a few matches" adds one secret
/// per KiB, "dense" one about every 70 bytes (about half of the bytes are
/// replaced), cycling through every detector. The baseline applies the same
/// built-in patterns as one `regex::Regex` each, in sequential
/// `replace_all` passes, compiled once; it does not run the validators, so
/// it does less work per candidate than `redact` (and replaces raw
/// candidates, such as every `:` of the assignment anchor). MB = 10⁶ bytes.
///
/// | input | `redact` median | throughput | sequential `replace_all` | throughput | speed-up |
/// |---|---|---|---|---|---|
/// | 1 KiB, no match | 925 ns | 1.11 GB/s | 7.64 µs | 134 MB/s | 8.3× |
/// | 1 KiB, a few matches | 1.09 µs | 941 MB/s | 7.65 µs | 134 MB/s | 7.0× |
/// | 1 KiB, dense matches | 2.74 µs | 373 MB/s | 11.33 µs | 90 MB/s | 4.1× |
/// | 64 KiB, no match | 53.1 µs | 1.23 GB/s | 370.9 µs | 177 MB/s | 7.0× |
/// | 64 KiB, a few matches | 68.5 µs | 957 MB/s | 508.7 µs | 129 MB/s | 7.4× |
/// | 64 KiB, dense matches | 159.1 µs | 412 MB/s | 560.7 µs | 117 MB/s | 3.5× |
/// | 64 KiB JSON message array, no match | 130.4 µs | 553 MB/s | | | |
/// | 64 KiB, `memchr` for an absent byte (bandwidth ceiling) | 1.53 µs | 42.7 GB/s | | | |
///
/// Load moves the absolute numbers by ±30 % and more from run to run, and
/// the two sides of a ratio are not measured at the same moment. Small
/// inputs also move with code layout: the 1 KiB few-matches row measured
/// 0.97 to 1.09 µs across builds that differ only in code it never runs.
/// Detectors added later (command-line flags, SQL passwords, pre-signed URL
/// signatures, Telegram tokens) made text without secrets about 15 %
/// slower (64 KiB: 45 µs before them).
///
/// Instruction counts are steadier (`valgrind --tool=callgrind`, one
/// `redact` call, see `REDACTION_PROFILE` in the bench):
///
/// | input | `redact` | sequential `replace_all` | ratio |
/// |---|---|---|---|
/// | 1 KiB, no match | 16.6 k | 69.1 k | 4.2× |
/// | 1 KiB, a few matches | 18.7 k | 69.8 k | 3.7× |
/// | 1 KiB, dense matches | 31.8 k | 97.4 k | 3.1× |
/// | 64 KiB, no match | 971 k | 3.75 M | 3.9× |
/// | 64 KiB, a few matches | 1.09 M | 5.36 M | 4.9× |
/// | 64 KiB, dense matches | 1.89 M | 5.45 M | 2.9× |
///
/// On dense input each replaced secret still costs about 2,100
/// instructions: its candidate checks, the literal search up to it, an
/// anchored automaton run, the validator and the output copy. There the
/// advantage over sequential passes is 3.5 to 4.1× in time, short of the
/// 5× and more that the other inputs reach.
///
/// A custom regex rule whose first byte can be almost anything (it starts
/// with `\w`, `.`, a large class) switches the pass to a plain unanchored
/// search of the combined automaton, about 0.5 GB/s. Custom rules that
/// start with a literal of 3+ bytes or a narrow byte class keep the fast
/// path.
///
/// # Resource usage
///
/// [`RedactorBuilder::build`] compiles one multi-pattern automaton (a
/// Thompson NFA, lazily determinised; searched anchored at candidates, and
/// once more compiled for the unanchored full scan) and multi-literal
/// searchers (one for the built-ins), in about 2 ms for all built-ins: build once and share
/// (clones are one `Arc`).
/// Each thread that redacts keeps a lazy-DFA transition cache of at most
/// 4 MiB, pooled and filled on demand (a second one of the same bound only
/// in the full-scan mode of a custom rule, or if the first gives up). The
/// bench's profiling process (`REDACTION_PROFILE`), which also holds the 22
/// baseline regexes, peaks at about 6.5 MiB resident. Redacting allocates
/// only for output that changes.
///
/// # Examples
///
/// ```
/// use genai_otel::{Detector, Redactor};
/// use std::borrow::Cow;
///
/// let r = Redactor::builder().builtin(Detector::ALL).build()?;
/// assert!(matches!(r.redact("nothing to see, order ord_1928"), Cow::Borrowed(_)));
/// assert_eq!(
///     r.redact("card 4111 1111 1111 1111, key sk-proj-abcdefghijklmnopqrstuvwxyz012345"),
///     "card [card], key [openai_key]"
/// );
/// # Ok::<(), genai_otel::BuildError>(())
/// ```
#[derive(Clone)]
pub struct Redactor {
    inner: Arc<Inner>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.inner.shared;
        f.debug_struct("Redactor")
            .field("detectors", &s.detectors)
            .field("patterns", &s.engine)
            .field("key_rules", &s.key_rules)
            .field("functions", &s.functions)
            .field("replacement", &s.replacement)
            .field("key", &self.inner.key_source)
            .field("scope", &s.scope)
            .field("failures", &s.failures.load(Ordering::Relaxed))
            .finish()
    }
}

/// The value of a key rule or built-in secret name for one key.
#[derive(Clone, Copy, Debug)]
enum KeyDecision {
    Rule(KeyAction),
    Secret(KeyKind, Detector),
}

impl Redactor {
    /// A builder with no rules.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Detector, Redactor};
    ///
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("SSN 262-92-2594"), "SSN [ssn]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }

    /// Redacts one string (plain text or JSON) through all stages. Returns
    /// `Cow::Borrowed(text)` when nothing was replaced.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Detector, Redactor};
    ///
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(
    ///     r.redact(r#"{"messages":[{"role":"user","content":"I am ana@example.com"}]}"#),
    ///     r#"{"messages":[{"role":"user","content":"I am [email]"}]}"#
    /// );
    /// assert_eq!(r.redact("{not json, ana@example.com"), "{not json, [email]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redact_nested(text, 0)
    }

    /// How many values were replaced by `[redaction-failed]` because a custom
    /// function panicked, returned an error, or returned invalid ranges.
    /// Shared by all clones.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Redactor;
    ///
    /// let r = Redactor::builder().function("boom", |_| panic!("bug")).build()?;
    /// assert_eq!(r.failure_count(), 0);
    /// # let hook = std::panic::take_hook();
    /// # std::panic::set_hook(Box::new(|_| {}));
    /// assert_eq!(r.redact("x"), "[redaction-failed]");
    /// # std::panic::set_hook(hook);
    /// assert_eq!(r.clone().failure_count(), 1);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn failure_count(&self) -> u64 {
        self.inner.shared.failures.load(Ordering::Relaxed)
    }

    /// The built-in detectors this redactor runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Detector, Redactor};
    ///
    /// let r = Redactor::builder().builtin(Detector::API_KEYS).build()?;
    /// assert!(r.detectors().contains(Detector::GITHUB_TOKEN));
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn detectors(&self) -> Detector {
        self.inner.shared.detectors
    }

    /// The span scope of [`Redactor::redact_span`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Redactor, SpanScope};
    ///
    /// assert_eq!(Redactor::builder().build()?.span_scope(), SpanScope::All);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn span_scope(&self) -> SpanScope {
        self.inner.shared.scope
    }

    /// Returns a redactor that uses `key` for pseudonyms and hashes if the
    /// builder was given no [`RedactorBuilder::pseudonym_key`]; otherwise a
    /// clone of `self`. The crate's initialisation calls this with the
    /// configured user-hash key. The compiled pipeline and the failure
    /// counter are shared.
    pub(crate) fn with_default_key(&self, key: &[u8]) -> Redactor {
        if self.inner.key_source == KeySource::Explicit {
            return self.clone();
        }
        Redactor {
            inner: Arc::new(Inner {
                shared: Arc::clone(&self.inner.shared),
                mac: keyed_mac(key),
                key_source: KeySource::Supplied,
            }),
        }
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// Stage 1 (if JSON), else stages 2 and 3.
    fn redact_nested<'a>(&self, text: &'a str, depth: u8) -> Cow<'a, str> {
        if depth < MAX_NESTED_JSON && json::looks_like_json(text) {
            if let Some(out) = json::redact_document(self, text, depth) {
                return out;
            }
        }
        self.redact_plain(text)
    }

    /// Stages 2 and 3 on one string.
    fn redact_plain<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.apply_patterns(text) {
            Some(patterned) => self.apply_functions(patterned),
            None => self.failed(),
        }
    }

    fn failed<'a>(&self) -> Cow<'a, str> {
        self.shared().failures.fetch_add(1, Ordering::Relaxed);
        // Owned, so that callers can tell "changed" from "unchanged" by the
        // variant alone.
        Cow::Owned(FAILED.to_owned())
    }

    /// Stage 2. `None` only if a span was not on a character boundary (an
    /// internal error, handled as a failure).
    fn apply_patterns<'a>(&self, text: &'a str) -> Option<Cow<'a, str>> {
        let mut out: Option<String> = None;
        let mut last = 0;
        let mut broken = false;
        self.shared().engine.for_each_hit(text, |hit| {
            let (Some(before), Some(secret)) =
                (text.get(last..hit.span.start), text.get(hit.span.clone()))
            else {
                broken = true;
                return;
            };
            let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
            o.push_str(before);
            self.write_token(o, hit.label, secret);
            last = hit.span.end;
        });
        if broken {
            return None;
        }
        Some(match out {
            None => Cow::Borrowed(text),
            Some(mut o) => {
                o.push_str(text.get(last..)?);
                Cow::Owned(o)
            }
        })
    }

    /// Stage 3.
    fn apply_functions<'a>(&self, mut cur: Cow<'a, str>) -> Cow<'a, str> {
        for rule in &self.shared().functions {
            let result = catch_unwind(AssertUnwindSafe(|| (rule.func)(&cur)));
            let Ok(Ok(mut ranges)) = result else {
                return self.failed();
            };
            if ranges.iter().all(|r| r.is_empty()) {
                continue;
            }
            ranges.sort_by_key(|r| (r.start, r.end));
            let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
            for r in ranges.into_iter().filter(|r| !r.is_empty()) {
                if r.end > cur.len()
                    || !cur.is_char_boundary(r.start)
                    || !cur.is_char_boundary(r.end)
                {
                    return self.failed();
                }
                match merged.last_mut() {
                    Some(prev) if r.start <= prev.end => prev.end = prev.end.max(r.end),
                    _ => merged.push(r),
                }
            }
            let mut out = String::with_capacity(cur.len() + 16);
            let mut last = 0;
            for r in merged {
                let (Some(before), Some(secret)) = (cur.get(last..r.start), cur.get(r.clone()))
                else {
                    return self.failed();
                };
                out.push_str(before);
                self.write_token(&mut out, &rule.name, secret);
                last = r.end;
            }
            match cur.get(last..) {
                Some(s) => out.push_str(s),
                None => return self.failed(),
            }
            cur = Cow::Owned(out);
        }
        cur
    }

    fn write_token(&self, out: &mut String, label: &str, secret: &str) {
        out.reserve(label.len() + 2);
        out.push('[');
        out.push_str(label);
        if self.shared().replacement == Replacement::Pseudonym {
            out.push(':');
            let tag = self.hmac(b"genai-otel/pseudonym/v1\0", secret.as_bytes());
            push_hex(out, &tag[..4]);
        }
        out.push(']');
    }

    fn token(&self, label: &str, secret: &str) -> String {
        let mut s = String::with_capacity(label.len() + 12);
        self.write_token(&mut s, label, secret);
        s
    }

    /// [`KeyAction::Hash`] output for a canonical value.
    fn key_hash(&self, canonical: &str) -> String {
        let tag = self.hmac(b"genai-otel/key-hash/v1\0", canonical.as_bytes());
        let mut s = String::with_capacity(16);
        push_hex(&mut s, &tag[..8]);
        s
    }

    fn hmac(&self, domain: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac = self.inner.mac.clone();
        mac.update(domain);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The key rule or built-in secret name that applies to `key`.
    /// `dotted`: also match the last `.`-segment (span attribute keys).
    fn key_decision(&self, key: &str, dotted: bool) -> Option<KeyDecision> {
        let shared = self.shared();
        let last = key.rsplit('.').next().unwrap_or(key);
        for (rule, action) in &shared.key_rules {
            if key.eq_ignore_ascii_case(rule) || (dotted && last.eq_ignore_ascii_case(rule)) {
                return Some(KeyDecision::Rule(*action));
            }
        }
        let kind = validate::key_kind(key.as_bytes())?;
        let det = detectors::key_detector(kind, shared.detectors)?;
        Some(KeyDecision::Secret(kind, det))
    }

    /// Replaces the secret part of a value held under a secret-bearing name.
    fn secret_value<'a>(&self, value: &'a str, kind: KeyKind, det: Detector) -> Cow<'a, str> {
        match detectors::secret_value_span(value.as_bytes(), kind) {
            None => Cow::Borrowed(value),
            Some(span) => {
                let (Some(head), Some(secret), Some(tail)) = (
                    value.get(..span.start),
                    value.get(span.clone()),
                    value.get(span.end..),
                ) else {
                    return self.failed();
                };
                let label = self
                    .shared()
                    .engine
                    .label_of(value, span)
                    .unwrap_or_else(|| det.label());
                let mut out = String::with_capacity(value.len());
                out.push_str(head);
                self.write_token(&mut out, label, secret);
                out.push_str(tail);
                Cow::Owned(out)
            }
        }
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// HMAC-SHA256 keyed with `key`, built without a fallible constructor: keys
/// longer than the block are hashed first, then zero-padded, exactly as
/// HMAC specifies.
fn keyed_mac(key: &[u8]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into())
}

/// A random key generated once per process, from the operating system's
/// randomness that seeds `std`'s `RandomState`, mixed with the time and
/// process id through SHA-256.
fn process_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = Sha256::new();
        for i in 0..8u64 {
            let mut s = std::collections::hash_map::RandomState::new().build_hasher();
            s.write_u64(i);
            h.update(s.finish().to_le_bytes());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        h.update(now.to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        h.finalize().into()
    })
}

/// The regular expressions behind the built-in detectors in `detectors`, as
/// `(label, pattern)` pairs in priority order (`regex` crate syntax). The
/// pattern shared by `auth_header`, `aws_key` and `generic_secret` (the
/// `[:=]` anchor of `name = value` assignments) has the label
/// `assignment`.
///
/// **Unstable, not part of the API**: it exists so that
/// `benches/redaction.rs` can compare [`Redactor::redact`] with the same
/// patterns applied as one `Regex::replace_all` pass each. A pattern is only
/// the *candidate* finder: most start at an anchor byte rather than at the
/// secret, and the validators that decide what is replaced are not included.
/// It may change or disappear in any release.
///
/// # Examples
///
/// ```
/// use genai_otel::Detector;
///
/// let patterns = genai_otel::redact::__builtin_patterns(Detector::EMAIL | Detector::SSN);
/// let labels: Vec<&str> = patterns.iter().map(|(label, _)| *label).collect();
/// assert_eq!(labels, ["email", "ssn"]);
/// assert!(patterns[0].1.starts_with('@'));
/// ```
#[doc(hidden)]
pub fn __builtin_patterns(detectors: Detector) -> Vec<(&'static str, &'static str)> {
    detectors::BUILTINS
        .iter()
        .filter(|b| detectors.intersects(b.detector))
        .map(|b| (b.detector.name().unwrap_or("assignment"), b.pattern))
        .collect()
}

/// The redactor used when the configuration names none: every built-in detector, labels.
pub(crate) fn builtin() -> Result<Redactor, BuildError> {
    Redactor::builder().builtin(Detector::ALL).build()
}

/// A deterministic xorshift generator for the engine's generated-input tests: each call
/// gives a number below `n` (`n` > 0).
#[cfg(test)]
pub(crate) fn test_rng(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo(key: Option<&[u8]>) -> Redactor {
        let b = Redactor::builder()
            .builtin(Detector::EMAIL)
            .replacement(Replacement::Pseudonym);
        match key {
            Some(k) => b.pseudonym_key(k),
            None => b,
        }
        .build()
        .expect("builds")
    }

    #[test]
    fn default_key_is_used_only_without_an_explicit_key() {
        let text = "ana@example.com";
        let explicit = pseudo(Some(b"explicit"));
        assert_eq!(
            explicit.with_default_key(b"other").redact(text),
            explicit.redact(text)
        );

        let implicit = pseudo(None);
        let supplied = implicit.with_default_key(b"user-hash-key");
        assert_ne!(supplied.redact(text), implicit.redact(text));
        assert_eq!(
            supplied.redact(text),
            pseudo(Some(b"user-hash-key")).redact(text)
        );
        // The pipeline and the failure counter are shared.
        assert!(Arc::ptr_eq(&supplied.inner.shared, &implicit.inner.shared));
    }

    #[test]
    fn process_key_is_stable_within_the_process() {
        assert_eq!(pseudo(None).redact("a@b.co"), pseudo(None).redact("a@b.co"));
    }

    #[test]
    fn hmac_matches_the_reference_construction() {
        // RFC 4231 test case 2.
        let mac = keyed_mac(b"Jefe");
        let mut m = mac.clone();
        m.update(b"what do ya want for nothing?");
        let mut hex = String::new();
        push_hex(&mut hex, &m.finalize().into_bytes());
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (RFC 4231 case 6).
        let mut m = keyed_mac(&[0xaa; 131]);
        m.update(b"Test Using Larger Than Block-Size Key - Hash Key First");
        let mut hex = String::new();
        push_hex(&mut hex, &m.finalize().into_bytes());
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
