//! The pattern stage: every pattern rule (custom regex rules and the enabled
//! built-ins) compiled into one multi-pattern automaton, driven by a
//! candidate scanner.
//!
//! # How a pass works
//!
//! A plain unanchored search of the combined automaton runs at roughly
//! 0.5 GB/s: no literal prefilter applies to a union of e-mail, digit and
//! keyword patterns, so the lazy DFA has to look at every byte. Instead, the
//! engine derives from the patterns themselves where a match can *start*:
//!
//! * patterns whose prefixes are a small set of literals of 3+ bytes
//!   (`sk-`, `ghp_`, `eyJ`, `Bearer`, a custom `ord_…`) feed multi-literal
//!   searchers of at most 32 literals each, with the literals cut to 3 bytes
//!   so that they can use SIMD "Teddy", called directly rather than through
//!   the Aho-Corasick automaton (see [`LITERALS_PER_SEARCHER`]);
//! * the other patterns (and literal-led ones whose first byte is a trigger
//!   byte anyway, like `://` and `-----BEGIN`) contribute their possible first bytes (digits,
//!   `@`, `:`, `=`, `+`, `(`, `-`) to a byte table. Each 32-byte chunk is turned
//!   into a bit mask of trigger positions with vectorisable compares, and a
//!   built-in trigger must pass a cheap context check ([`precheck`]) before
//!   the automaton is started there.
//!
//! At each candidate the automaton runs *anchored*, usually over a handful
//! of bytes. A candidate whose match the validator rejects falls through to
//! the next pattern that can start at that byte. If a custom pattern has no
//! usable start set (it can begin with almost any byte), the engine falls
//! back to a plain unanchored search; results are identical, only slower.
//!
//! The automaton does not run the built-in patterns as written: each one is
//! split into the branches of its alternation, and a branch ending in a
//! greedy run of an ASCII class (`sk-[A-Za-z0-9_-]+`) loses that run, which
//! the engine then extends over with a byte-table loop (also when an
//! optional `(?:xZ+)?` follows the run, as IPv6's `%zone` does); a PEM
//! block is its header plus a `memmem` search for the END line (see
//! [`split_tails`], [`cut_tail`] and [`split_pem`]). Inside such a run every
//! byte would be a match state of the lazy DFA, its slowest path, and on
//! text dense in tokens that was half of the pass. The matches are the same
//! (a unit test compares both forms on thousands of generated texts).
//! Anchored searches run the forward lazy DFA directly rather than through
//! `meta::Regex`, with one DFA cache taken from the pool per pass.
//!
//! On text dense in secrets the pass costs about 2,100 instructions per
//! replaced secret (bench, 64 KiB): the candidate's context check, Teddy up
//! to the next literal, one anchored lazy-DFA search (about 350
//! instructions), the validator and the output copy. No single part is more
//! than a fifth of it. Measured and dropped (callgrind, dense 64 KiB, 189M
//! instructions per 100 calls before each): our own loop over the lazy
//! DFA's `next_state` instead of `try_search_fwd`, so that the match's
//! pattern is looked up once (208M: `find_fwd`'s unrolled untagged loop is
//! cheaper per byte than anything safe code can write); straight-line
//! matchers for the literal-led sub-patterns instead of the DFA (203M:
//! exact, but a run per sub-pattern that may start with the byte costs
//! more than one DFA search over all of them); the IBAN pattern after the
//! other digit-led ones, to spare cards the rejected IBAN match (194M: the
//! DFA's states for digits grew).

use std::ops::Range;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use regex_automata::hybrid;
use regex_automata::meta::Regex;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::{Anchored, HalfMatch, Input, MatchError, MatchKind, PatternID};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind, Repetition};

use super::detectors::{precheck, Builtin, Detector, Refine, BUILTINS};
use super::BuildError;

/// Capacity of the lazy DFA's transition cache, per thread using the
/// redactor (see `Redactor`'s "Resource usage").
pub(crate) const DFA_CACHE_BYTES: usize = 4 << 20;

/// Creates a lazy DFA cache.
type CacheFn = Box<dyn Fn() -> hybrid::dfa::Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// The forward lazy DFA of the combined patterns, searched directly for
/// anchored searches: the same automaton `meta::Regex` would run for them,
/// without the layers around it (several hundred instructions per search,
/// and dense text has one search per replacement). A search the lazy DFA
/// gives up on (cache thrashing, or a Unicode word boundary next to a
/// non-ASCII byte) falls back to `meta::Regex`, as `meta::Regex` itself
/// would do.
struct AnchoredDfa {
    dfa: Arc<hybrid::dfa::DFA>,
    caches: Pool<hybrid::dfa::Cache, CacheFn>,
}

impl AnchoredDfa {
    /// `None` if the DFA does not build (the caller keeps `meta::Regex`).
    fn new(heads: &[Hir]) -> Option<AnchoredDfa> {
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().which_captures(WhichCaptures::None))
            .build_many_from_hir(heads)
            .ok()?;
        // The configuration `meta::Regex` gives its forward lazy DFA.
        let config = hybrid::dfa::Config::new()
            .match_kind(MatchKind::LeftmostFirst)
            .starts_for_each_pattern(true)
            .unicode_word_boundary(true)
            .cache_capacity(DFA_CACHE_BYTES)
            .skip_cache_capacity_check(false)
            .minimum_cache_clear_count(Some(3))
            .minimum_bytes_per_state(Some(10));
        let dfa = Arc::new(
            hybrid::dfa::Builder::new()
                .configure(config)
                .build_from_nfa(nfa)
                .ok()?,
        );
        let for_pool = Arc::clone(&dfa);
        let create: CacheFn = Box::new(move || for_pool.create_cache());
        Some(AnchoredDfa {
            dfa,
            caches: Pool::new(create),
        })
    }

    #[inline]
    fn search(
        &self,
        cache: &mut hybrid::dfa::Cache,
        input: &Input<'_>,
    ) -> Result<Option<HalfMatch>, MatchError> {
        self.dfa.try_search_fwd(cache, input)
    }
}

/// The lazy DFA cache of one pass, taken from the pool once per pass rather
/// than once per anchored search.
type CacheGuard<'e> = PoolGuard<'e, hybrid::dfa::Cache, CacheFn>;

/// A match to replace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hit<'e> {
    pub(crate) span: Range<usize>,
    pub(crate) label: &'e str,
}

#[derive(Debug)]
enum Rule {
    Builtin(&'static Builtin),
    Custom(Box<str>),
}

/// One pattern of the combined automaton: a rule, or one branch of a
/// built-in rule's alternation, possibly without its trailing run.
#[derive(Debug)]
struct Sub {
    /// Index into `Engine::rules`.
    rule: usize,
    /// What was cut off the end of the pattern, extended over by
    /// [`Engine::find`].
    tail: Option<Tail>,
}

/// The cut-off end of a sub-pattern.
#[derive(Debug)]
enum Tail {
    /// A trailing `C*` / `C+` / `C{n,}` run: the longest run of `C`, as a
    /// byte table (one load per byte of the run).
    Run(Box<[bool; 256]>),
    /// A run as in [`Tail::Run`] followed by an optional `(?:xZ+)?` (an
    /// IPv6 `%zone`): after the run, `x` and the longest run of `Z`, if
    /// there is at least one `Z` byte.
    RunZone {
        run: Box<[bool; 256]>,
        lead: u8,
        zone: Box<[bool; 256]>,
    },
    /// The body of a PEM block: up to the end of the first match of
    /// `PEM_END` (see [`find_pem_end`]), or to the end of the input.
    Until(Box<memchr::memmem::Finder<'static>>),
}

/// The private-key built-in, `PEM_HEAD(?:[\s\S]*?PEM_END|[\s\S]*)`, is
/// split into its header and [`Tail::Until`] the END line: every byte of
/// the body would be a match state of the lazy DFA (the `[\s\S]*` branch).
const PEM_HEAD: &str = r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----";
const PEM_END: &str = r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----";

/// Byte-table entries.
const NONE: u8 = 0;
/// A built-in may start here: run [`precheck`] first.
const BUILTIN: u8 = 1;
/// A custom rule may start here: always a candidate.
const ALWAYS: u8 = 2;

#[derive(Debug)]
enum Mode {
    /// Candidate-driven anchored searches.
    Candidates,
    /// Unanchored search (a custom rule has no usable start set).
    FullScan,
}

/// A 256-bit byte set.
#[derive(Clone, Copy, Debug, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn all() -> ByteSet {
        ByteSet([u64::MAX; 4])
    }

    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// Where a pattern can start, derived from its syntax.
enum Start {
    Literals(Vec<Vec<u8>>),
    Bytes(ByteSet),
    Anywhere,
}

fn start_of(pattern: &str) -> Result<(Start, ByteSet), String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    let mut bytes = ByteSet::default();
    let first = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(256)
        .limit_literal_len(1)
        .limit_total(4096)
        .extract(&hir);
    let first_ok = match first.literals() {
        Some(lits) if lits.iter().all(|l| !l.as_bytes().is_empty()) => {
            for lit in lits {
                if let Some(&b) = lit.as_bytes().first() {
                    bytes.insert(b);
                }
            }
            true
        }
        _ => false,
    };
    if !first_ok {
        return Ok((Start::Anywhere, ByteSet::all()));
    }
    let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    if let Some(lits) = prefixes.literals() {
        if !lits.is_empty() && lits.len() <= 64 && lits.iter().all(|l| l.as_bytes().len() >= 3) {
            let mut v: Vec<Vec<u8>> = lits.iter().map(|l| l.as_bytes().to_vec()).collect();
            v.sort();
            v.dedup();
            return Ok((Start::Literals(v), bytes));
        }
    }
    Ok((Start::Bytes(bytes), bytes))
}

fn parse(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

/// The private-key pattern as its header and a [`Tail::Until`] its END
/// line, if `pattern` is exactly `PEM_HEAD(?:[\s\S]*?PEM_END|[\s\S]*)`.
/// The lazy branch ends at the first END line after the header (the header
/// has a single possible end: its class stops at `-`), and the other branch
/// takes the rest of the input when there is none.
fn split_pem(pattern: &str) -> Option<(Hir, Option<Tail>)> {
    if pattern != format!(r"{PEM_HEAD}(?:[\s\S]*?{PEM_END}|[\s\S]*)") {
        return None;
    }
    let until = memchr::memmem::Finder::new(PEM_END_LEAD).into_owned();
    Some((parse(PEM_HEAD).ok()?, Some(Tail::Until(Box::new(until)))))
}

/// A PEM title that ends a private key's header or END line: `… PRIVATE
/// KEY` or PGP's `… PRIVATE KEY BLOCK`.
fn is_private_key_title(title: &[u8]) -> bool {
    title.ends_with(b"PRIVATE KEY") || title.ends_with(b"PRIVATE KEY BLOCK")
}

/// The literal start of every `PEM_END` match.
const PEM_END_LEAD: &[u8] = b"-----END";

/// The end of the first match of `PEM_END` in `body`: the first
/// `-----END` (found by `finder`) followed by a run of `[A-Z0-9 ]` that
/// ends in `PRIVATE KEY` or `PRIVATE KEY BLOCK` (PGP), then `-----`. The
/// match has only that possible end, since both titles are in the class
/// and the `-` after them is not.
/// The same as an unanchored search of the regex, without its per-search
/// overhead (a PEM block is about one secret in twenty of dense text).
fn find_pem_end(finder: &memchr::memmem::Finder<'_>, body: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = body.get(from..).and_then(|rest| finder.find(rest)) {
        let at = from + found;
        let run_start = at + PEM_END_LEAD.len();
        let run = body.get(run_start..).map_or(0, |rest| {
            rest.iter()
                .take_while(|&&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
                .count()
        });
        let run_end = run_start + run;
        if body
            .get(run_start..run_end)
            .is_some_and(is_private_key_title)
            && body.get(run_end..).is_some_and(|r| r.starts_with(b"-----"))
        {
            return Some(run_end + 5);
        }
        from = at + 1;
    }
    None
}

/// Most sub-patterns one rule is split into.
const MAX_SUBS: usize = 16;

/// Rewrites a built-in pattern into sub-patterns that the automaton runs
/// faster, with the same leftmost-first matches:
///
/// * an alternation, also behind a prefix of literals and look-arounds
///   (`\b(?:gh[pousr]_…|github_pat_…)`, whose common prefix the parser may
///   have lifted out), becomes one sub-pattern per branch, in order. With a
///   prefix that matches in exactly one way, `X(?:A|B)` prefers the same
///   match as `XA|XB`, and the first matching branch is the rule's match.
/// * a sub-pattern `H C{n,}` ending in a greedy unbounded run of an ASCII
///   class becomes `H C{n}` plus the class. The leftmost-first match of
///   `H C{n,}` takes the first match of `H` (in `H`'s own preference order)
///   followed by at least `n` bytes of `C`, then the longest run of `C`; the
///   match of `H C{n}` ends `n` bytes into that same run, and
///   [`Engine::find`] extends it to the run's end. The tokens of the API-key
///   detectors are such runs: the lazy DFA would otherwise pass through a
///   match state at each of their bytes, its slowest path.
fn split_tails(hir: Hir) -> Vec<(Hir, Option<Tail>)> {
    let branches = branches(&hir);
    let branches = if branches.len() > MAX_SUBS {
        vec![hir]
    } else {
        branches
    };
    branches.into_iter().map(cut_tail).collect()
}

/// The branches of `hir`'s alternation, distributed over a one-way prefix.
fn branches(hir: &Hir) -> Vec<Hir> {
    match hir.kind() {
        HirKind::Alternation(alts) => alts.iter().flat_map(branches).collect(),
        HirKind::Concat(items) => {
            let Some((last, prefix)) = items.split_last() else {
                return vec![hir.clone()];
            };
            let one_way = prefix
                .iter()
                .all(|h| matches!(h.kind(), HirKind::Look(_) | HirKind::Literal(_)));
            if !one_way || !matches!(last.kind(), HirKind::Alternation(_)) {
                return vec![hir.clone()];
            }
            branches(last)
                .into_iter()
                .map(|b| {
                    let mut parts = prefix.to_vec();
                    match b.kind() {
                        HirKind::Concat(more) => parts.extend(more.iter().cloned()),
                        _ => parts.push(b),
                    }
                    Hir::concat(parts)
                })
                .collect()
        }
        _ => vec![hir.clone()],
    }
}

/// `H C{n,}` (greedy, `C` an ASCII class) → (`H C{n}`, `C`); and
/// `H C* (?:xZ+)?` (`x` a byte outside `C`, `Z` an ASCII class) → (`H`,
/// `C` then the zone).
fn cut_tail(hir: Hir) -> (Hir, Option<Tail>) {
    let HirKind::Concat(items) = hir.kind() else {
        return (hir, None);
    };
    let Some((last, prefix)) = items.split_last() else {
        return (hir, None);
    };
    if let Some((lead, zone)) = optional_zone(last) {
        // `H C* (?:xZ+)?` with `x` not in `C`: the run stops before `x`,
        // so a shorter run can never let the zone match, and the zone is
        // taken whenever it can be.
        if let Some((before, head)) = prefix.split_last() {
            if let HirKind::Repetition(rep) = before.kind() {
                let run = ascii_class(&rep.sub).filter(|set| !set.contains(lead));
                if let (Some(run), None, true, 0) = (run, rep.max, rep.greedy, rep.min) {
                    return (
                        Hir::concat(head.to_vec()),
                        Some(Tail::RunZone {
                            run: byte_table(&run),
                            lead,
                            zone: byte_table(&zone),
                        }),
                    );
                }
            }
        }
        return (hir, None);
    }
    let HirKind::Repetition(rep) = last.kind() else {
        return (hir, None);
    };
    if rep.max.is_some() || !rep.greedy {
        return (hir, None);
    }
    let Some(set) = ascii_class(&rep.sub) else {
        return (hir, None);
    };
    let mut parts = prefix.to_vec();
    if rep.min > 0 {
        parts.push(Hir::repetition(Repetition {
            min: rep.min,
            max: Some(rep.min),
            greedy: true,
            sub: rep.sub.clone(),
        }));
    }
    (Hir::concat(parts), Some(Tail::Run(byte_table(&set))))
}

/// `set` as a table of 256 flags.
fn byte_table(set: &ByteSet) -> Box<[bool; 256]> {
    let mut table = Box::new([false; 256]);
    for (b, slot) in (0..=255u8).zip(table.iter_mut()) {
        *slot = set.contains(b);
    }
    table
}

/// `(?:xZ+)?`, greedy, `x` one ASCII byte and `Z` an ASCII class: (`x`, `Z`).
fn optional_zone(hir: &Hir) -> Option<(u8, ByteSet)> {
    let HirKind::Repetition(opt) = hir.kind() else {
        return None;
    };
    if opt.min != 0 || opt.max != Some(1) || !opt.greedy {
        return None;
    }
    let HirKind::Concat(items) = opt.sub.kind() else {
        return None;
    };
    let [lead, run] = items.as_slice() else {
        return None;
    };
    let HirKind::Literal(lit) = lead.kind() else {
        return None;
    };
    let [x] = *lit.0 else {
        return None;
    };
    let HirKind::Repetition(rep) = run.kind() else {
        return None;
    };
    if rep.min != 1 || rep.max.is_some() || !rep.greedy || !x.is_ascii() {
        return None;
    }
    Some((x, ascii_class(&rep.sub)?))
}

/// The bytes of a class made of ASCII characters only.
fn ascii_class(hir: &Hir) -> Option<ByteSet> {
    let HirKind::Class(class) = hir.kind() else {
        return None;
    };
    let mut set = ByteSet::default();
    let mut add = |lo: u32, hi: u32| -> Option<()> {
        if hi > 0x7F {
            return None;
        }
        for b in lo..=hi {
            set.insert(u8::try_from(b).ok()?);
        }
        Some(())
    };
    match class {
        Class::Unicode(c) => {
            for r in c.iter() {
                add(u32::from(r.start()), u32::from(r.end()))?;
            }
        }
        Class::Bytes(c) => {
            for r in c.iter() {
                add(u32::from(r.start()), u32::from(r.end()))?;
            }
        }
    }
    Some(set)
}

/// The compiled pattern stage.
pub(crate) struct Engine {
    /// `None` when there is no pattern rule at all. Its patterns are the
    /// rules' sub-patterns (see [`split_tails`]), not the rules themselves.
    re: Option<Regex>,
    /// The forward lazy DFA of the same patterns, for the anchored searches
    /// of candidate mode (`None` in full-scan mode, or if it failed to build).
    anchored: Option<AnchoredDfa>,
    rules: Vec<Rule>,
    /// For each sub-pattern of `re`: its rule and the byte class of the
    /// trailing run cut off it, if any.
    subs: Vec<Sub>,
    /// For each rule: its sub-patterns, a range of `re`'s pattern ids.
    rule_subs: Vec<Range<usize>>,
    first_bytes: Vec<ByteSetDbg>,
    enabled: Detector,
    mode: Mode,
    table: Box<[u8; 256]>,
    /// Trigger bytes covered by 4 inclusive ranges (`lo`, `hi - lo`), for
    /// the vectorised 32-byte chunk test; `None` if 4 ranges cannot cover
    /// them tightly.
    ranges: Option<([u8; RANGES], [u8; RANGES])>,
    /// Multi-literal searchers over the literal prefixes, at most
    /// [`LITERALS_PER_SEARCHER`] each (see [`literal_searchers`]).
    literals: Vec<LiteralSearcher>,
    /// The private-key pattern, when enabled (see
    /// [`Engine::cover_pem_block`]).
    pem: Option<PatternID>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let custom: Vec<&str> = self
            .rules
            .iter()
            .filter_map(|r| match r {
                Rule::Custom(name) => Some(&**name),
                Rule::Builtin(_) => None,
            })
            .collect();
        f.debug_struct("Engine")
            .field("patterns", &self.rules.len())
            .field("custom_rules", &custom)
            .field("mode", &self.mode)
            .field(
                "literals",
                &self
                    .literals
                    .iter()
                    .map(LiteralSearcher::patterns_len)
                    .sum::<usize>(),
            )
            .finish()
    }
}

/// `ByteSet` with a compact `Debug`.
#[derive(Clone, Copy)]
struct ByteSetDbg(ByteSet);

impl std::fmt::Debug for ByteSetDbg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: u32 = self.0 .0.iter().map(|w| w.count_ones()).sum();
        write!(f, "{n} start bytes")
    }
}

impl Engine {
    /// Compiles custom rules (`(name, pattern)`, highest priority first) and
    /// the built-ins of `enabled`.
    pub(crate) fn new(
        enabled: Detector,
        custom: &[(String, String)],
    ) -> Result<Engine, BuildError> {
        Engine::build(enabled, custom, true)
    }

    /// `split`: rewrite the built-in patterns with [`split_tails`] (off only
    /// in the test that checks the rewrite changes no match).
    fn build(
        enabled: Detector,
        custom: &[(String, String)],
        split: bool,
    ) -> Result<Engine, BuildError> {
        let mut rules = Vec::new();
        let mut patterns: Vec<&str> = Vec::new();
        for (name, pattern) in custom {
            rules.push(Rule::Custom(name.as_str().into()));
            patterns.push(pattern);
        }
        for b in BUILTINS.iter().filter(|b| enabled.intersects(b.detector)) {
            rules.push(Rule::Builtin(b));
            patterns.push(b.pattern);
        }

        let mut table = Box::new([NONE; 256]);
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut first_bytes = Vec::with_capacity(patterns.len());
        let mut full_scan = false;
        let mut starts = Vec::with_capacity(patterns.len());
        for (rule, pattern) in rules.iter().zip(&patterns) {
            let (start, first) =
                start_of(pattern).map_err(|message| BuildError::InvalidPattern {
                    rule: rule_name(rule).to_owned(),
                    message,
                })?;
            first_bytes.push(ByteSetDbg(first));
            starts.push(start);
        }
        // A literal-led pattern whose first bytes are all trigger bytes of
        // byte-led patterns anyway (`://` after the `:` of IPv6) needs no
        // literal search of its own.
        let mut byte_led = ByteSet::default();
        for start in &starts {
            if let Start::Bytes(set) = start {
                for (w, s) in byte_led.0.iter_mut().zip(set.0) {
                    *w |= s;
                }
            }
        }
        for (start, first) in starts.iter_mut().zip(&first_bytes) {
            if matches!(start, Start::Literals(_))
                && first.0 .0.iter().zip(byte_led.0).all(|(f, b)| f & !b == 0)
            {
                *start = Start::Bytes(first.0);
            }
        }
        for (rule, start) in rules.iter().zip(starts) {
            let flag = match rule {
                Rule::Builtin(_) => BUILTIN,
                Rule::Custom(_) => ALWAYS,
            };
            match start {
                Start::Literals(lits) => literals.extend(lits),
                Start::Bytes(set) => {
                    for b in 0..=255u8 {
                        if set.contains(b) {
                            let slot = &mut table[usize::from(b)];
                            *slot = (*slot).max(flag);
                        }
                    }
                }
                Start::Anywhere => full_scan = true,
            }
        }
        let always = table.iter().filter(|&&t| t == ALWAYS).count();
        if always > 48 {
            // So many possible first bytes that candidates would be most
            // positions: the plain search is faster.
            full_scan = true;
        }

        let mut heads: Vec<Hir> = Vec::with_capacity(patterns.len());
        let mut subs: Vec<Sub> = Vec::with_capacity(patterns.len());
        let mut rule_subs: Vec<Range<usize>> = Vec::with_capacity(patterns.len());
        for (idx, (rule, pattern)) in rules.iter().zip(&patterns).enumerate() {
            let hir = parse(pattern).map_err(|message| BuildError::InvalidPattern {
                rule: rule_name(rule).to_owned(),
                message,
            })?;
            let first = heads.len();
            let split = match rule {
                Rule::Builtin(b) if split => match split_pem(b.pattern) {
                    Some(pem) => vec![pem],
                    None => split_tails(hir),
                },
                Rule::Builtin(_) | Rule::Custom(_) => vec![(hir, None)],
            };
            for (head, tail) in split {
                heads.push(head);
                subs.push(Sub { rule: idx, tail });
            }
            rule_subs.push(first..heads.len());
        }
        let re = if heads.is_empty() {
            None
        } else {
            let config = Regex::config()
                .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit)
                .hybrid_cache_capacity(DFA_CACHE_BYTES);
            Some(
                Regex::builder()
                    .configure(config)
                    .build_many_from_hir(&heads)
                    .map_err(|e| BuildError::TooLarge {
                        message: e.to_string(),
                    })?,
            )
        };
        // Only candidate positions are needed (the automaton verifies), so
        // keep at most 3 bytes of each literal and drop literals that extend
        // another: fewer, shorter needles let Aho-Corasick use Teddy.
        for lit in &mut literals {
            lit.truncate(3);
        }
        literals.sort();
        literals.dedup();
        let all = literals.clone();
        literals.retain(|l| !all.iter().any(|p| p.len() < l.len() && l.starts_with(p)));
        let literals = if full_scan {
            Vec::new()
        } else {
            literal_searchers(&literals)?
        };
        let pem = rules
            .iter()
            .position(|r| matches!(r, Rule::Builtin(b) if b.detector == Detector::PRIVATE_KEY))
            .and_then(|i| rule_subs.get(i))
            .filter(|r| r.len() == 1)
            .and_then(|r| PatternID::new(r.start).ok());
        let anchored = if full_scan || heads.is_empty() {
            None
        } else {
            AnchoredDfa::new(&heads)
        };
        Ok(Engine {
            re,
            anchored,
            subs,
            rule_subs,
            pem,
            rules,
            first_bytes,
            enabled,
            mode: if full_scan {
                Mode::FullScan
            } else {
                Mode::Candidates
            },
            ranges: chunk_ranges(&table),
            table,
            literals,
        })
    }

    /// Number of pattern rules in the automaton.
    #[cfg(test)]
    pub(crate) fn pattern_count(&self) -> usize {
        self.rules.len()
    }

    /// True when candidate-driven scanning is in use.
    #[cfg(test)]
    pub(crate) fn is_candidate_mode(&self) -> bool {
        matches!(self.mode, Mode::Candidates)
    }

    /// Calls `emit` for every accepted match, left to right, non-overlapping.
    pub(crate) fn for_each_hit<'e>(&'e self, text: &str, mut emit: impl FnMut(Hit<'e>)) {
        let Some(re) = &self.re else {
            return;
        };
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut floor = 0;
        let mut lits = LiteralCursors::new(self.literals.len());
        let mut cache = self.anchored.as_ref().map(|dfa| dfa.caches.get());
        while pos < bytes.len() {
            let (start, found) = match self.mode {
                Mode::Candidates => {
                    let Some(c) = self.next_candidate(bytes, pos, &mut lits) else {
                        break;
                    };
                    let input = Input::new(text)
                        .span(c..bytes.len())
                        .anchored(Anchored::Yes);
                    (c, self.find(re, &mut cache, &input))
                }
                Mode::FullScan => {
                    let input = Input::new(text).span(pos..bytes.len());
                    match self.find(re, &mut cache, &input) {
                        Some(m) => (m.1.start, Some(m)),
                        None => break,
                    }
                }
            };
            let accepted = found.and_then(|(rule, m)| {
                self.accept(re, &mut cache, text, rule, m, floor)
                    .or_else(|| self.retry(re, &mut cache, text, start, rule, floor))
            });
            match accepted {
                Some(hit) => {
                    let hit = self.cover_pem_block(re, &mut cache, text, hit);
                    pos = hit.span.end.max(start + 1);
                    floor = hit.span.end;
                    emit(hit);
                }
                None => pos = start + 1,
            }
            while pos < bytes.len() && !text.is_char_boundary(pos) {
                pos += 1;
            }
        }
    }

    /// Searches `input` and maps the match to its rule and full span: a
    /// sub-pattern whose trailing run was cut off (see [`split_tails`]) is
    /// extended over the longest run of that class, within the input.
    #[inline]
    fn find(
        &self,
        re: &Regex,
        cache: &mut Option<CacheGuard<'_>>,
        input: &Input<'_>,
    ) -> Option<(usize, Range<usize>)> {
        let anchored = input.get_anchored().is_anchored();
        let (pid, start, mut end) = match (&self.anchored, cache.as_deref_mut(), anchored) {
            (Some(dfa), Some(cache), true) => match dfa.search(cache, input) {
                Ok(found) => {
                    let hm = found?;
                    (hm.pattern(), input.start(), hm.offset())
                }
                Err(_) => {
                    let m = re.search(input)?;
                    (m.pattern(), m.start(), m.end())
                }
            },
            _ => {
                let m = re.search(input)?;
                (m.pattern(), m.start(), m.end())
            }
        };
        let sub = self.subs.get(pid.as_usize())?;
        match &sub.tail {
            None => {}
            Some(Tail::Run(table)) => {
                let rest = input.haystack().get(end..input.end())?;
                end += rest
                    .iter()
                    .position(|&b| !table[usize::from(b)])
                    .unwrap_or(rest.len());
            }
            Some(Tail::RunZone { run, lead, zone }) => {
                let rest = input.haystack().get(end..input.end())?;
                end += rest
                    .iter()
                    .position(|&b| !run[usize::from(b)])
                    .unwrap_or(rest.len());
                let rest = input.haystack().get(end..input.end())?;
                if rest.first() == Some(lead) {
                    let ids = rest.get(1..).unwrap_or_default();
                    let n = ids
                        .iter()
                        .position(|&b| !zone[usize::from(b)])
                        .unwrap_or(ids.len());
                    if n > 0 {
                        end += 1 + n;
                    }
                }
            }
            Some(Tail::Until(finder)) => {
                let body = input.haystack().get(end..input.end())?;
                end = find_pem_end(finder, body).map_or(input.end(), |e| end + e);
            }
        }
        Some((sub.rule, start..end))
    }

    fn accept(
        &self,
        re: &Regex,
        cache: &mut Option<CacheGuard<'_>>,
        text: &str,
        rule: usize,
        m: Range<usize>,
        floor: usize,
    ) -> Option<Hit<'_>> {
        match self.rules.get(rule)? {
            Rule::Custom(name) => (m.start < m.end).then_some(Hit {
                span: m,
                label: name,
            }),
            Rule::Builtin(b) => {
                let acc = b.refine(text.as_bytes(), m, floor, self.enabled)?;
                if acc.span.start < floor || acc.span.start >= acc.span.end {
                    return None;
                }
                let label = match b.refine {
                    // `OPENAI_API_KEY=sk-…`: name the value by what it is.
                    Refine::Assignment | Refine::Flag | Refine::QuotedAfterName => {
                        self.value_label(re, cache, text, &acc.span)
                    }
                    _ => None,
                }
                .unwrap_or_else(|| acc.detector.label());
                Some(Hit {
                    span: acc.span,
                    label,
                })
            }
        }
    }

    /// Matches never overlap, so a replacement that swallowed the
    /// `-----BEGIN … PRIVATE KEY-----` header of a PEM block (an unquoted
    /// `Authorization:` value runs to the end of the line) would hide the
    /// header from the rest of the pass and leave the key's body, on the
    /// next lines, in the output. Extends such a replacement over the whole
    /// block. Costs a look at every fifth byte of each accepted match.
    fn cover_pem_block<'e>(
        &self,
        re: &Regex,
        cache: &mut Option<CacheGuard<'_>>,
        text: &str,
        mut hit: Hit<'e>,
    ) -> Hit<'e> {
        let Some(pid) = self.pem else {
            return hit;
        };
        let Some(off) = text
            .as_bytes()
            .get(hit.span.clone())
            .and_then(find_pem_header)
        else {
            return hit;
        };
        let input = Input::new(text)
            .span(hit.span.start + off..text.len())
            .anchored(Anchored::Pattern(pid));
        if let Some((_, m)) = self.find(re, cache, &input) {
            hit.span.end = hit.span.end.max(m.end);
        }
        hit
    }

    /// The label of a built-in (other than an assignment) that accepts
    /// exactly `span` of `text`: what a secret-bearing key's value is
    /// (`"api_key": "sk-proj-…"` is an `openai_key`).
    pub(crate) fn label_of(&self, text: &str, span: Range<usize>) -> Option<&'static str> {
        let re = self.re.as_ref()?;
        let mut cache = self.anchored.as_ref().map(|dfa| dfa.caches.get());
        self.value_label(re, &mut cache, text, &span)
    }

    /// The label of a built-in (other than an assignment) that accepts
    /// exactly `span`.
    fn value_label(
        &self,
        re: &Regex,
        cache: &mut Option<CacheGuard<'_>>,
        text: &str,
        span: &Range<usize>,
    ) -> Option<&'static str> {
        let input = Input::new(text).range(span.clone()).anchored(Anchored::Yes);
        let (rule, m) = self.find(re, cache, &input)?;
        match self.rules.get(rule)? {
            Rule::Builtin(b)
                if !matches!(
                    b.refine,
                    Refine::Assignment | Refine::Flag | Refine::QuotedAfterName
                ) && m.end == span.end =>
            {
                let acc = b.refine(text.as_bytes(), m, span.start, self.enabled)?;
                (acc.span == *span).then(|| acc.detector.label())
            }
            _ => None,
        }
    }

    /// After the highest-priority match at `start` was rejected, tries the
    /// lower-priority patterns that can start with the same byte.
    fn retry(
        &self,
        re: &Regex,
        cache: &mut Option<CacheGuard<'_>>,
        text: &str,
        start: usize,
        after: usize,
        floor: usize,
    ) -> Option<Hit<'_>> {
        let byte = *text.as_bytes().get(start)?;
        for idx in after + 1..self.rules.len() {
            if !self
                .first_bytes
                .get(idx)
                .is_some_and(|s| s.0.contains(byte))
            {
                continue;
            }
            // The rule's first sub-pattern that matches is the match of the
            // whole rule (they are the branches of its alternation, in order).
            let found = self.rule_subs.get(idx)?.clone().find_map(|sub| {
                let input = Input::new(text)
                    .span(start..text.len())
                    .anchored(Anchored::Pattern(PatternID::new(sub).ok()?));
                self.find(re, cache, &input)
            });
            if let Some((rule, m)) = found {
                if let Some(hit) = self.accept(re, cache, text, rule, m, floor) {
                    return Some(hit);
                }
            }
        }
        None
    }

    fn next_candidate(
        &self,
        bytes: &[u8],
        from: usize,
        lits: &mut LiteralCursors,
    ) -> Option<usize> {
        let mut lit_next: Option<usize> = None;
        for ((ac, next), done) in self.literals.iter().zip(&mut lits.next).zip(&mut lits.done) {
            if !*done && next.is_none_or(|l| l < from) {
                *next = ac.find_start(bytes, from);
                *done = next.is_none();
            }
            if let Some(l) = *next {
                lit_next = Some(lit_next.map_or(l, |m| m.min(l)));
            }
        }
        let limit = lit_next.unwrap_or(bytes.len());
        self.next_byte_candidate(bytes, from, limit).or(lit_next)
    }

    /// First position in `from..limit` holding a trigger byte that passes
    /// its check.
    fn next_byte_candidate(&self, bytes: &[u8], from: usize, limit: usize) -> Option<usize> {
        let region = bytes.get(..limit)?;
        let mut base = from;
        while base < region.len() {
            // A chunk may run past `limit` (the next literal candidate): its
            // bits from there on are dropped, so that the vectorised test
            // still applies.
            let full = bytes
                .get(base..base + 32)
                .and_then(|c| <&[u8; 32]>::try_from(c).ok());
            let mut mask = match (full, &self.ranges) {
                (Some(chunk), Some((lo, span))) => {
                    let mask = trigger_mask(chunk, lo, span);
                    match u32::try_from(region.len() - base) {
                        Ok(n) if n < 32 => mask & ((1 << n) - 1),
                        _ => mask,
                    }
                }
                _ => {
                    let end = (base + 32).min(region.len());
                    region
                        .get(base..end)?
                        .iter()
                        .enumerate()
                        .fold(0u32, |m, (j, &c)| {
                            m | (u32::from(self.table[usize::from(c)] != NONE) << j)
                        })
                }
            };
            while mask != 0 {
                let i = base + mask.trailing_zeros() as usize;
                mask &= mask - 1;
                match self.table[usize::from(*region.get(i)?)] {
                    NONE => {}
                    ALWAYS => return Some(i),
                    _ => {
                        if precheck(bytes, i) {
                            return Some(i);
                        }
                    }
                }
            }
            base += 32;
        }
        None
    }
}

/// The first `-----BEGIN` in `span`. Its five dashes cover one of the
/// offsets 4, 9, 14, …, so only those are tested for a `-`; each test
/// covers the header starts in the 5 bytes up to it, in order.
fn find_pem_header(span: &[u8]) -> Option<usize> {
    const HEADER: &[u8] = b"-----BEGIN";
    let mut k = 4;
    while let Some(&b) = span.get(k) {
        if b == b'-' {
            if let Some(p) =
                (k - 4..=k).find(|&p| span.get(p..).is_some_and(|s| s.starts_with(HEADER)))
            {
                return Some(p);
            }
        }
        k += 5;
    }
    None
}

/// Literals per searcher. Teddy, the SIMD algorithm Aho-Corasick uses for
/// small literal sets, puts the literals in buckets: "slim" Teddy has 8,
/// and with the built-ins' 32 literals in one slim searcher prose flags so
/// many positions for verification that two slim searchers of 16 were
/// faster (about 10 µs against 17 to 25 µs per 64 KiB). "Fat" Teddy (AVX2)
/// has 16 buckets: one fat searcher over all 32 literals scans the text
/// once instead of twice, about as selective. Against two slim searchers
/// (two criterion runs at load average 1.3 to 2.5): dense text 4 % faster (64 KiB: 166.7 µs
/// against 173.5 µs), text without a match about 5 % slower (42.3 µs
/// against 44.4 µs per 64 KiB, still 1.4 GB/s). Without AVX2 the searcher
/// is an Aho-Corasick automaton.
const LITERALS_PER_SEARCHER: usize = 32;
/// Above this many searchers, one searcher over all literals is used.
const MAX_LITERAL_SEARCHERS: usize = 4;

/// Splits the sorted literal set into groups of at most
/// [`LITERALS_PER_SEARCHER`] neighbours (literals sharing a first byte end
/// up together) and builds one leftmost-first searcher per group.
fn literal_searchers(literals: &[Vec<u8>]) -> Result<Vec<LiteralSearcher>, BuildError> {
    if literals.is_empty() {
        return Ok(Vec::new());
    }
    let groups = literals.len().div_ceil(LITERALS_PER_SEARCHER);
    let per = if groups > MAX_LITERAL_SEARCHERS {
        literals.len()
    } else {
        literals.len().div_ceil(groups)
    };
    literals
        .chunks(per)
        .map(|group| {
            let packed = aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                .only_teddy_fat(Some(true))
                .builder()
                .extend(group)
                .build();
            if let Some(packed) = packed {
                return Ok(LiteralSearcher::Packed(packed, group.len()));
            }
            AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(group)
                .map(LiteralSearcher::Automaton)
                .map_err(|e| BuildError::TooLarge {
                    message: e.to_string(),
                })
        })
        .collect()
}

/// A multi-literal searcher: fat Teddy called directly where the CPU has it
/// (Aho-Corasick's own wrapper around it costs about as much per call as
/// the SIMD search itself on the short stretches between two secrets),
/// else Aho-Corasick.
enum LiteralSearcher {
    /// The searcher and its number of literals.
    Packed(aho_corasick::packed::Searcher, usize),
    Automaton(AhoCorasick),
}

impl LiteralSearcher {
    /// Start of the first literal at or after `from`.
    #[inline]
    fn find_start(&self, bytes: &[u8], from: usize) -> Option<usize> {
        if from > bytes.len() {
            return None;
        }
        match self {
            LiteralSearcher::Packed(s, _) => s
                .find_in(bytes, aho_corasick::Span::from(from..bytes.len()))
                .map(|m| m.start()),
            LiteralSearcher::Automaton(ac) => ac
                .find(aho_corasick::Input::new(bytes).span(from..bytes.len()))
                .map(|m| m.start()),
        }
    }

    fn patterns_len(&self) -> usize {
        match self {
            LiteralSearcher::Packed(_, n) => *n,
            LiteralSearcher::Automaton(ac) => ac.patterns_len(),
        }
    }
}

/// Per-pass state of the literal searchers: the next hit of each at or
/// after the scan position, and whether it has none left. Fixed-size, so a
/// pass allocates nothing.
struct LiteralCursors {
    next: [Option<usize>; MAX_LITERAL_SEARCHERS],
    done: [bool; MAX_LITERAL_SEARCHERS],
}

impl LiteralCursors {
    fn new(searchers: usize) -> LiteralCursors {
        let mut done = [true; MAX_LITERAL_SEARCHERS];
        for d in done.iter_mut().take(searchers) {
            *d = false;
        }
        LiteralCursors {
            next: [None; MAX_LITERAL_SEARCHERS],
            done,
        }
    }
}

fn rule_name(rule: &Rule) -> &str {
    match rule {
        Rule::Builtin(b) => b.detector.label(),
        Rule::Custom(n) => n,
    }
}

/// Number of byte ranges the chunk test checks.
const RANGES: usize = 4;

/// Covers the table's trigger bytes with [`RANGES`] inclusive ranges,
/// merging the closest neighbours (the extra bytes a merge covers are
/// filtered by the table afterwards). Returns (`lo`, `hi - lo`) arrays,
/// padded by repeating the first range, or `None` if the cover would be
/// loose (more than 24 extra bytes).
fn chunk_ranges(table: &[u8; 256]) -> Option<([u8; RANGES], [u8; RANGES])> {
    let mut ranges: Vec<(u8, u8)> = Vec::new();
    for b in 0..=255u8 {
        if table[usize::from(b)] == NONE {
            continue;
        }
        match ranges.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(b) => *hi = b,
            _ => ranges.push((b, b)),
        }
    }
    let mut extra = 0;
    while ranges.len() > RANGES {
        // Merge the neighbours whose gap costs least: a byte common in text
        // (`,` between `+` and `-`) would put a bit in almost every chunk.
        let (k, _) = ranges
            .windows(2)
            .enumerate()
            .map(|(k, w)| (k, (w[0].1 + 1..w[1].0).map(gap_cost).sum::<usize>()))
            .min_by_key(|&(_, cost)| cost)?;
        let next = ranges.remove(k + 1);
        extra += usize::from(next.0 - ranges[k].1 - 1);
        ranges[k].1 = next.1;
    }
    if extra > 24 {
        return None;
    }
    let &first = ranges.first()?;
    let mut lo = [first.0; RANGES];
    let mut span = [first.1 - first.0; RANGES];
    for (k, (l, h)) in ranges.into_iter().enumerate() {
        lo[k] = l;
        span[k] = h - l;
    }
    Some((lo, span))
}

/// How much covering a non-trigger byte in a chunk range costs: bytes
/// frequent in prose and code weigh more than the rest.
fn gap_cost(b: u8) -> usize {
    if b.is_ascii_alphanumeric() || matches!(b, b' ' | b',' | b'.' | b'\n' | b')' | b'/' | b'_') {
        8
    } else {
        1
    }
}

/// Bit `j` is set if `chunk[j]` falls in one of the ranges. The compares
/// are branch-free so they compile to vector instructions; each group of 8
/// 0/1 bytes is packed into 8 bits with one multiplication.
#[inline]
fn trigger_mask(chunk: &[u8; 32], lo: &[u8; RANGES], span: &[u8; RANGES]) -> u32 {
    let mut hits = [0u8; 32];
    for (h, &c) in hits.iter_mut().zip(chunk) {
        let mut hit = 0u8;
        for k in 0..RANGES {
            hit |= u8::from(c.wrapping_sub(lo[k]) <= span[k]);
        }
        *h = hit;
    }
    let mut mask = 0u32;
    for (w, part) in hits.chunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(part);
        let packed = u64::from_le_bytes(word).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= (packed as u32) << (8 * w);
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(engine: &Engine, text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        engine.for_each_hit(text, |h| {
            out.push((h.label.to_owned(), text[h.span].to_owned()))
        });
        out
    }

    #[test]
    fn every_builtin_compiles_and_has_a_start_set() {
        for b in BUILTINS {
            let (start, _) = start_of(b.pattern).expect("builtin parses");
            assert!(
                !matches!(start, Start::Anywhere),
                "{} must have a start set",
                b.pattern
            );
        }
        let engine = Engine::new(Detector::ALL, &[]).expect("builtins compile");
        assert!(engine.is_candidate_mode());
        assert_eq!(engine.pattern_count(), BUILTINS.len());
    }

    #[test]
    fn candidate_and_full_scan_modes_agree() {
        let text = "mail a.b@example.com, call +1 415 555 2671 or (415) 555-2671; \
                    card 4111 1111 1111 1111; ip 10.0.0.1 and 2001:db8::1; \
                    password=hunter2 ord_12345 and ssn 123-45-6789";
        let fast =
            Engine::new(Detector::ALL, &[("order".into(), r"ord_\d+".into())]).expect("compiles");
        // `.` can start with any byte: forces the unanchored search.
        let slow = Engine::new(
            Detector::ALL,
            &[
                ("order".into(), r"ord_\d+".into()),
                ("never".into(), r".\x00never".into()),
            ],
        )
        .expect("compiles");
        assert!(fast.is_candidate_mode());
        assert!(!slow.is_candidate_mode());
        let a = hits(&fast, text);
        assert_eq!(a, hits(&slow, text));
        let labels: Vec<&str> = a.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "email",
                "phone",
                "phone",
                "card",
                "ipv4",
                "ipv6",
                "generic_secret",
                "order",
                "ssn"
            ]
        );
    }

    /// Pieces of text around and inside secrets, glued in many orders.
    const PIECES: &[&str] = &[
        " ", "\n", ", ", ".", "-", "_", "=", ": ", "\"", "x", "Z9", "é",
        "sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNxakieS4p6rwz5",
        "sk-ant-api03-R2D2C3POxyzR2D2C3POxyzR2D2C3POxyz-abcDEF123_xyzAA",
        "sk-ant-short", "sk-", "sk_live_51H8xYzAbCdEfGhIjKlMnOpQr", "rk_test_",
        "ghp_iT6QLWhtjNZ8JJ7P3JIAVWEqt4H2hIcEdoxu", "github_pat_11ABCDEFG_abcdefghijklmnop",
        "gho_", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xapp-1-A0123-4567-abcdef", "xapp-12", "AKIAIOSFODNN7EXAMPLE", "ASIA0123",
        "AIzaSyA-1234567890abcdefghijklmnopqrstu", "ya29.a0AfH6SMB-xyz_0123456789abcdefghij",
        "GOCSPX-abcdefghijklmnopqrstuvwx", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
        "glpat-xxxxxxxxxxxxxxxxxxxx", "npm_abcdefghijklmnopqrstuvwxyz0123", "pypi-AgEIcHlwaS5vcmc",
        "SG.abcdefghijklmnop.qrstuvwxyz0123456789", "gsk_abc", "r8_0123456789abcdefghijkl",
        "xai-abcdefghijklmnopqrstuv", "pplx-0123456789abcdefghij", "dop_v1_0123456789abcdef0123",
        "whsec_abcdefghijklmnopqrstu",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx.", "Bearer 9f8e7d6c5b4a39281706f5e4==", "bearer abc",
        "Basic dXNlcjpwYXNzd29yZA==", "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "postgres://admin:s3cr3t-pw@db.example.com/app", "ana.garcia@example.com", "@x.io",
        "+1 415 555 2671", "(415) 555-2671", "262-92-2594", "4111 1111 1111 1111", "4111111111111111",
        "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "203.0.113.7", "1.2.3.4.5",
        "2001:db8::8a2e:370:7334", "fe80::1%eth0", "10:30", "%", "%en1", "fe80::1%", "::ffff:10.0.0.1%x",
        "a::b:", "password=hunter2!", " --password hunter2", "--api-key \"x y\"", "--max-tokens 5", " PASSWORD 'p''w'", "'",
        "api_key: \"sk-proj-abcdefghijklmnopqrstuvwxyz\"", "Authorization: Bearer abc.DEF",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    ];

    #[test]
    fn pem_end_search_agrees_with_the_regex() {
        let re = Regex::new(PEM_END).expect("compiles");
        let finder = memchr::memmem::Finder::new(PEM_END_LEAD);
        let parts = [
            "-----END PRIVATE KEY-----",
            "-----END RSA PRIVATE KEY-----",
            "------END EC PRIVATE KEY-----",
            "-----END PRIVATE KEY----",
            "-----END PRIVATE KEY",
            "-----END OPENSSH PRIVATE KEY-----",
            "-----END PUBLIC KEY-----",
            "-----END  PRIVATE KEY-----",
            "-----ENDPRIVATE KEY-----",
            "-----END X PRIVATE KEYPRIVATE KEY-----",
            "-----END PGP PRIVATE KEY BLOCK-----",
            "-----END PGP PRIVATE KEY BLOCK BLOCK-----",
            "-----END PRIVATE KEY BLOCKS-----",
            " BLOCK-----",
            "-----END",
            "-----",
            "MIIEvQ",
            "\n",
            " ",
            "é",
        ];
        let mut next = crate::redact::test_rng(0x9e37_79b9_7f4a_7c15_u64);
        for _ in 0..4000 {
            let text: String = (0..1 + next(5)).map(|_| parts[next(parts.len())]).collect();
            let expected = re.find(&text).map(|m| m.end());
            assert_eq!(find_pem_end(&finder, text.as_bytes()), expected, "{text:?}");
        }
    }

    #[test]
    fn pem_header_search_finds_the_first_header_at_any_offset() {
        for pad in 0..12 {
            for dashes in 0..7 {
                let text = format!(
                    "{}{}-----BEGIN X-----BEGIN",
                    "a".repeat(pad),
                    "-".repeat(dashes)
                );
                assert_eq!(
                    find_pem_header(text.as_bytes()),
                    text.find("-----BEGIN"),
                    "{text:?}"
                );
            }
        }
        assert_eq!(find_pem_header(b"----BEGIN -----BEGI"), None);
        assert_eq!(find_pem_header(b""), None);
    }

    #[test]
    fn split_tails_changes_no_match() {
        let split = Engine::new(Detector::ALL, &[]).expect("compiles");
        let whole = Engine::build(Detector::ALL, &[], false).expect("compiles");
        assert!(split.subs.len() > whole.subs.len());
        assert!(split.subs.iter().filter(|s| s.tail.is_some()).count() >= 20);
        assert!(split
            .subs
            .iter()
            .any(|s| matches!(s.tail, Some(Tail::Until(_)))));
        assert!(split
            .subs
            .iter()
            .any(|s| matches!(s.tail, Some(Tail::RunZone { .. }))));
        let mut next = crate::redact::test_rng(0x2545_f491_4f6c_dd1d_u64);
        let mut checked = 0;
        for piece in PIECES {
            assert_eq!(hits(&split, piece), hits(&whole, piece), "{piece:?}");
        }
        for _ in 0..3000 {
            let text: String = (0..1 + next(6))
                .map(|_| PIECES[next(PIECES.len())])
                .collect();
            // Also cut the text short, inside a token.
            let mut cut = text.len() - next(text.len().min(8) + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            for t in [&text[..], &text[..cut]] {
                let found = hits(&split, t);
                assert_eq!(found, hits(&whole, t), "{t:?}");
                checked += found.len();
            }
        }
        assert!(checked > 3000, "{checked}");
    }

    #[rustfmt::skip]
    const PRECHECKS: &[(&str, usize, bool)] = &[
        // (text, candidate offset, passes the precheck)
        ("ip 10.0.0.1", 3, true),
        ("run --password x", 4, true),
        ("-----BEGIN PRIVATE KEY-----", 0, true),
        ("a task-force", 6, false),
        ("wait -- what", 5, false),
        ("a--password x", 1, false),
        ("---", 0, false),
        ("WITH PASSWORD 'x'", 14, true),
        ("IDENTIFIED BY 'x'", 14, true),
        ("don't", 3, false),
        ("print 'x'", 6, false),
        ("ip 192.168.001.254", 3, true),
        ("costs 42.50 now", 6, false),
        ("python 3.12", 7, false),
        ("v8.7.34", 3, false),
        ("1234.5 units", 0, false),
        ("10.0.0", 0, false),
        ("card 4111 1111 1111 1111", 5, true),
        ("call 1 (415) 555-2671", 5, true),
        ("ssn 262-92-2594", 4, true),
        ("order 48213", 6, false),
        ("v6 2001:db8::1", 7, true),
        ("v6 fe80::1%eth0", 7, true),
        ("v6 ::1", 3, true),
        ("mapped ::ffff:192.0.2.128", 7, true),
        ("use std::fs::read", 7, false),
        ("serde_json::from_str", 10, false),
        // Times look like the start of an IPv6 address; the validator rejects them.
        ("at 10:30:00", 5, true),
        ("deadbeef::1", 8, false),
    ];

    #[test]
    fn prechecks_reject_decimals_versions_and_paths_but_not_addresses() {
        for &(text, at, expected) in PRECHECKS {
            assert_eq!(precheck(text.as_bytes(), at), expected, "{text:?} at {at}");
        }
    }

    #[test]
    fn a_replacement_that_swallows_a_pem_header_covers_the_block() {
        let engine = Engine::new(Detector::ALL, &[]).expect("compiles");
        let text = "Authorization: Basic dXNlcjpwYXNzd29yZA== key -----BEGIN PRIVATE KEY-----\n\
                    MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nafter";
        let found = hits(&engine, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "auth_header");
        assert!(
            found[0].1.ends_with("-----END PRIVATE KEY-----"),
            "{found:?}"
        );
        // The same with a `password=` value glued to the header.
        let text = "password=x-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234";
        let found = hits(&engine, text);
        assert_eq!(found, [("generic_secret".to_owned(), text[9..].to_owned())]);
        // Without the private-key detector, nothing is extended.
        let no_pem = Engine::new(Detector::AUTH_HEADER, &[]).expect("compiles");
        let text = "Authorization: Basic dXNlcjpwYXNzd29yZA== -----BEGIN PRIVATE KEY-----\nMIIE";
        assert_eq!(hits(&no_pem, text)[0].1.lines().count(), 1);
    }

    #[test]
    fn literal_prefixes_are_found_by_every_searcher() {
        // Distinct 3-byte literal prefixes: `aaq_`, `abq_`, …
        let lit = |k: usize| {
            let c = |x: usize| char::from(b'a' + u8::try_from(x % 26).expect("< 26"));
            format!("{}{}q_", c(k / 26), c(k))
        };
        for n in [5, 40, 70, 140] {
            let rules: Vec<(String, String)> = (0..n)
                .map(|k| (format!("r{k}"), format!(r"{}[a-z]+", lit(k))))
                .collect();
            let engine = Engine::new(Detector::NONE, &rules).expect("compiles");
            assert!(engine.is_candidate_mode());
            let expected = match n {
                5 => 1,
                40 => 2,
                70 => 3,
                _ => 1, // more than 4 groups of 32: one searcher
            };
            assert_eq!(engine.literals.len(), expected, "{n} rules");
            let text: String = (0..n)
                .rev()
                .map(|k| format!("see {}abc, ", lit(k)))
                .collect();
            let found = hits(&engine, &text);
            assert_eq!(found.len(), n, "{n} rules: {found:?}");
            assert_eq!(
                found[0],
                (format!("r{}", n - 1), format!("{}abc", lit(n - 1)))
            );
        }
    }

    #[test]
    fn chunk_mask_marks_every_trigger_offset() {
        let mut table = [NONE; 256];
        for b in b"0123456789:=@+(" {
            table[usize::from(*b)] = BUILTIN;
        }
        let (lo, span) = chunk_ranges(&table).expect("coverable");
        let covered = |c: u8| (0..RANGES).any(|k| c.wrapping_sub(lo[k]) <= span[k]);
        for b in 0..=255u8 {
            if table[usize::from(b)] != NONE {
                assert!(covered(b), "{b}");
            }
        }
        for i in 0..32 {
            let mut chunk = [b'a'; 32];
            chunk[i] = b'@';
            assert_eq!(trigger_mask(&chunk, &lo, &span), 1 << i);
            chunk[i] = b'7';
            chunk[31 - i] = b'(';
            assert_eq!(trigger_mask(&chunk, &lo, &span), (1 << i) | (1 << (31 - i)));
        }
        assert_eq!(trigger_mask(&[b'z'; 32], &lo, &span), 0);
        let mut wide = [NONE; 256];
        for b in (0..=255u8).step_by(2) {
            wide[usize::from(b)] = ALWAYS;
        }
        assert!(chunk_ranges(&wide).is_none());
    }
}
