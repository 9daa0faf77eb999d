//! The built-in detectors: the public [`Detector`] set type and the table of
//! patterns and validators behind it.
//!
//! Each built-in is a regex that finds a *candidate* plus a validator
//! ([`Refine`]) that accepts or rejects it and decides the exact span to
//! replace. Several patterns start at a rare anchor byte instead of at the
//! start of the secret (an e-mail at its `@`, an IPv6 address at its first
//! `:`, an IBAN at its check digits, a `password=` assignment at the `=`), and
//! the validator extends the span to the left. That keeps every pattern's
//! first byte rare, which is what lets the scanner skip ordinary prose
//! without running the automaton (see the `scan` module).

use std::fmt;
use std::ops::{BitOr, BitOrAssign, Range};

use super::validate::{self, is_alnum, is_word, prev, KeyKind};

/// A set of built-in detectors.
///
/// Combine single detectors with `|`, or use [`Detector::ALL`] /
/// [`Detector::API_KEYS`]. Each detector has a stable name (its label in the
/// redacted output, e.g. `[email]`) that [`Detector::from_name`] and the
/// `genai-otel redact --detectors` flag accept.
///
/// | name | finds | validated by |
/// |---|---|---|
/// | `email` | `local@domain.tld` | shape, TLD of 2+ letters |
/// | `phone` | North American `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `+1 415 555 2671`; international E.164 `+44 20 7946 0958`, `+49-30-1234567`, `+33.1.23.45.67.89` | digit count (E.164: 8 to 15), not part of a longer number |
/// | `ssn` | US SSN `123-45-6789`, `123 45 6789` | area not 000/666, group not 00, serial not 0000 |
/// | `card` | payment cards, 13 to 19 digits, plain or grouped by spaces or dashes (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, ...) | Luhn, issuer digit 1 to 6, consistent grouping |
/// | `iban` | IBANs of the SWIFT registry countries (uppercase country code), plain or in groups of four | per-country length, mod-97 |
/// | `ipv4` | dotted quads | octets ≤ 255, not part of a longer dotted number |
/// | `ipv6` | full, `::`-compressed, IPv4-embedded, with `%zone` | parsed by `std::net::Ipv6Addr` |
/// | `jwt` | `eyJ….eyJ….sig` | three dot-separated base64url parts |
/// | `auth_header` | `Authorization: Bearer …` / `Basic …` (any scheme), bare `Bearer <token>` and `Basic <base64>` | Basic decodes to `user:password`; bare Bearer tokens mix letters and digits |
/// | `url_credentials` | `scheme://user:password@host` | the `user:password` part |
/// | `private_key` | PEM `-----BEGIN … PRIVATE KEY-----` blocks, PGP `… PRIVATE KEY BLOCK` | to the END line, or to the end of text if it is missing |
/// | `openai_key` | `sk-…`, `sk-proj-…`, `sk-svcacct-…` | length |
/// | `anthropic_key` | `sk-ant-…` | length |
/// | `aws_key` | access key ids `AKIA…` / `ASIA…`; secret keys after `aws_secret_access_key=` / `AWS_SECRET_KEY:` | length, variable name |
/// | `github_token` | `ghp_` / `gho_` / `ghu_` / `ghs_` / `ghr_` classic, `github_pat_` fine-grained | length |
/// | `slack_token` | `xoxb-` / `xoxp-` / `xoxa-` / `xoxe-` / `xoxr-` / `xoxs-`, `xapp-`, incoming-webhook URLs | length |
/// | `stripe_key` | `sk_live_` / `sk_test_` / `rk_live_` / `rk_test_`, `whsec_` | length |
/// | `google_key` | `AIza…` API keys, `ya29.` OAuth tokens, `GOCSPX-` client secrets | length |
/// | `huggingface_token` | `hf_…` | length |
/// | `other_api_key` | GitLab `glpat-`, npm `npm_`, PyPI `pypi-`, SendGrid `SG.`, Groq `gsk_`, Replicate `r8_`, xAI `xai-`, Perplexity `pplx-`, DigitalOcean `dop_v1_` | length |
/// | `generic_secret` | values after secret-bearing names: `password=`, `secret:`, `api_key=`, `"token": "…"`, `client_secret`, `DB_PASSWORD`, … | name ends in a secret word (`max_tokens` does not) |
///
/// Not redacted on purpose: UUIDs (identifiers, and indistinguishable from
/// random ids), dates, times, prices, version strings (`v8.7.34`), order
/// numbers, and digit runs that fail the validators (a 16-digit number that
/// fails Luhn). Dotted quads that look like versions (`1.2.3.4`) *are*
/// redacted as `ipv4`: the two cannot be told apart and the detector errs on
/// the side of removing.
///
/// # Scope, misses and over-matches
///
/// The documentation of each constant ([`Detector::EMAIL`] …
/// [`Detector::GENERIC_SECRET`]) gives the detector's exact scope (the
/// formats it finds and how they are validated), what it misses (false
/// negatives) and what else it removes (false positives), each with a tested
/// example. Limits shared by all detectors:
///
/// * Matching is over ASCII: a secret is found inside any UTF-8 text, but
///   its own characters must be the ASCII ones listed.
/// * A secret split across values (two JSON strings, two attributes, two
///   streamed chunks), broken across lines, encoded (base64,
///   percent-encoding) or spelled out is not found.
/// * Matches never overlap: when one starts inside an earlier replacement,
///   only the part after that replacement can still be found, and a
///   detector that needs the swallowed start misses the rest
///   (`password=DE89 3704 …` replaces the unquoted value `DE89` and leaves
///   the other IBAN groups). PEM private-key blocks are the exception: a
///   replacement that swallows their header is extended over the block.
/// * Validators decide on the candidate alone, without context words: a
///   number that fails the card rules is kept even after "card number:",
///   and one that passes them is removed even if it is a tracking number.
///
/// # Examples
///
/// ```
/// use genai_otel::Detector;
///
/// let set = Detector::EMAIL | Detector::PHONE;
/// assert!(set.contains(Detector::EMAIL));
/// assert!(!set.contains(Detector::CARD));
/// assert!(Detector::ALL.contains(Detector::API_KEYS));
/// assert_eq!(Detector::from_name("email"), Some(Detector::EMAIL));
/// assert_eq!(set.names().collect::<Vec<_>>(), ["email", "phone"]);
/// ```
///
/// Overlapping matches:
///
/// ```
/// use genai_otel::{Detector, Redactor};
///
/// let r = Redactor::builder().builtin(Detector::ALL).build()?;
/// assert_eq!(
///     r.redact("password=DE89 3704 0044 0532 0130 00"),
///     "password=[generic_secret] 3704 0044 0532 0130 00"
/// );
/// assert_eq!(
///     r.redact("Authorization: Basic dXNlcjpwdw== -----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\nok"),
///     "Authorization: Basic [auth_header]\nok"
/// );
/// # Ok::<(), genai_otel::BuildError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Detector(u32);

impl Detector {
    /// No detector.
    pub const NONE: Detector = Detector(0);
    /// E-mail addresses (`email`).
    ///
    /// **Finds** `local@domain.tld`, starting at the `@`: the domain is one or more
    /// dot-separated ASCII labels (letters, digits, inner `-`) ending in a top-level domain
    /// of 2+ letters; the local part is the run of `A-Z a-z 0-9 . _ % + -` right before the
    /// `@` (at most 128 bytes, leading dots dropped).
    ///
    /// **Misses** non-ASCII local parts or domains (`josé@…`, `ana@bücher.de`), quoted
    /// local parts (`"john doe"@…`), IP-literal domains (`user@[192.0.2.1]`: the `ipv4`
    /// detector still takes the address), addresses split by a line break, and encoded or
    /// spelled-out forms (`ana%40example.com`, `ana at example dot com`).
    ///
    /// **Also removes** anything of that shape: SSH remotes (`git@github.com:org/repo`
    /// loses `git@github.com`) and the user name of a URL (`https://token@github.com`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("mail ana.garcia+tag@mail.example.co.uk."), "mail [email].");
    /// assert_eq!(r.redact("josé@example.com"), "josé@example.com"); // missed
    /// assert_eq!(r.redact("ana at example dot com"), "ana at example dot com"); // missed
    /// assert_eq!(r.redact("git@github.com:org/repo.git"), "[email]:org/repo.git");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const EMAIL: Detector = Detector(1 << 0);
    /// Phone numbers (`phone`): North American formats and international E.164.
    ///
    /// **Finds** North American numbers as 3-3-4 digit groups separated by a space, `.` or
    /// `-`, the area code optionally in parentheses, optionally after `1` or `+1` (`(415)
    /// 555-2671`, `415.555.2671`, `1-800-555-0199`, `+1 415 555 2671`); and international
    /// numbers written with `+`, a non-zero first digit and 8 to 15 digits in all, with at
    /// most two of ` .()-` between digits (`+44 20 7946 0958`, `+49-30-1234567`,
    /// `+14155552671`). The number must not follow a letter or digit, nor continue a longer
    /// number (`415-555-2671-99` is left).
    ///
    /// **Misses** national formats outside North America without `+` (`020 7946 0958`, `030
    /// 1234567`), the `00` international prefix, North American numbers without separators
    /// (`4155552671`), vanity numbers (`1-800-FLOWERS`). Extensions are kept (`[phone] ext.
    /// 12`).
    ///
    /// **Also removes** any other 3-3-4 digit group with those separators (an id like
    /// `123-456-7890`) and any `+` followed by 8 to 15 digits.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("call (415) 555-2671 or +44 20 7946 0958"), "call [phone] or [phone]");
    /// assert_eq!(r.redact("call 020 7946 0958"), "call 020 7946 0958"); // missed
    /// assert_eq!(r.redact("call 4155552671"), "call 4155552671"); // missed
    /// assert_eq!(r.redact("ticket 123-456-7890"), "ticket [phone]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const PHONE: Detector = Detector(1 << 1);
    /// US Social Security numbers (`ssn`).
    ///
    /// **Finds** `ddd-dd-dddd` and `ddd dd dddd` (one kind of separator) whose area is not
    /// `000` or `666`, group not `00` and serial not `0000`, not part of a longer number.
    /// Area numbers `900`–`999` (ITINs) are included.
    ///
    /// **Misses** SSNs written without separators (`262922594`) or with other separators
    /// (`262.92.2594`).
    ///
    /// **Also removes** any other 3-2-4 digit group of that shape, such as part numbers.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("SSN 262-92-2594, ITIN 912 92 2594"), "SSN [ssn], ITIN [ssn]");
    /// assert_eq!(r.redact("SSN 262922594"), "SSN 262922594"); // missed
    /// assert_eq!(r.redact("SSN 000-12-3456"), "SSN 000-12-3456"); // never issued
    /// assert_eq!(r.redact("part 123-45-6789"), "part [ssn]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const SSN: Detector = Detector(1 << 2);
    /// Payment card numbers (`card`), Luhn-validated.
    ///
    /// **Finds** 13 to 19 digits, plain or in 3 to 5 groups of 1 to 6 digits separated by
    /// single spaces or single dashes (one kind per number), that pass the Luhn check and
    /// have an issuer prefix with a length it issues: Visa (`4`, 13/16/19 digits),
    /// Mastercard (`51`–`55`, `2221`–`2720`, 16), Amex (`34`, `37`, 15), UATP (`1`, 15),
    /// and other `3`, `5`, `6` issuers (Discover, JCB, Diners, UnionPay, Maestro) at any
    /// length. A trailing group that breaks the check is left out (`4111 1111 1111 1111
    /// 202` keeps `202`).
    ///
    /// **Misses** numbers with other separators (`4111.1111.1111.1111`), mixed or doubled
    /// separators, numbers split across lines or glued to letters, and issuers outside
    /// those prefixes.
    ///
    /// **Also removes** other Luhn-valid numbers with such a prefix, notably IMEIs (15
    /// digits starting with `35`) and some account or tracking numbers.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("visa 4111 1111 1111 1111, amex 3782-822463-10005"), "visa [card], amex [card]");
    /// assert_eq!(r.redact("4111111111111112"), "4111111111111112"); // fails Luhn
    /// assert_eq!(r.redact("card 4111.1111.1111.1111"), "card 4111.1111.1111.1111"); // missed
    /// assert_eq!(r.redact("IMEI 352099001761481"), "IMEI [card]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const CARD: Detector = Detector(1 << 3);
    /// IBANs (`iban`), mod-97 validated.
    ///
    /// **Finds** an uppercase country code of the SWIFT IBAN registry, two check digits and
    /// the BBAN, written plain or with single spaces (`DE89 3704 0044 0532 0130 00`),
    /// exactly as long as that country's IBANs, not glued to a letter or digit on either
    /// side, and passing the ISO 13616 mod-97 check. Letters in the BBAN may be lowercase.
    ///
    /// **Misses** IBANs with a lowercase country code (left alone because lowercase would
    /// match hex digests), other separators (dashes, dots, double spaces), countries
    /// outside the registry, and an IBAN directly followed by a letter or digit.
    ///
    /// **Also removes** almost nothing else: a random string of the right shape passes
    /// mod-97 once in 97.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("IBAN GB82 WEST 1234 5698 7654 32."), "IBAN [iban].");
    /// assert_eq!(r.redact("iban de89 3704 0044 0532 0130 00"), "iban de89 3704 0044 0532 0130 00"); // missed
    /// assert_eq!(r.redact("DE89-3704-0044-0532-0130-00"), "DE89-3704-0044-0532-0130-00"); // missed
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const IBAN: Detector = Detector(1 << 4);
    /// IPv4 addresses (`ipv4`).
    ///
    /// **Finds** dotted quads with every octet `0`–`255`, not glued to a letter or digit
    /// before and not part of a longer dotted number (`1.3.6.1.4.1` is left). Loopback,
    /// private and reserved addresses are included; a `/prefix` or `:port` after the
    /// address is kept.
    ///
    /// **Misses** other notations (`0x7f000001`, `2130706433`) and addresses glued to a
    /// word (`ip10.0.0.1`).
    ///
    /// **Also removes** four-part version numbers and section numbers (`1.2.3.4`): they
    /// cannot be told apart from addresses.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("from 192.168.1.20:8080 and 10.0.0.0/8"), "from [ipv4]:8080 and [ipv4]/8");
    /// assert_eq!(r.redact("999.1.1.1 and OID 1.3.6.1.4.1"), "999.1.1.1 and OID 1.3.6.1.4.1");
    /// assert_eq!(r.redact("ip 2130706433"), "ip 2130706433"); // missed
    /// assert_eq!(r.redact("version 1.2.3.4"), "version [ipv4]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const IPV4: Detector = Detector(1 << 5);
    /// IPv6 addresses (`ipv6`).
    ///
    /// **Finds** every textual form `std::net::Ipv6Addr` parses (full, `::`-compressed,
    /// IPv4-embedded), with at least two colons and one hex digit, optionally with a
    /// `%zone` of letters and digits, not glued to a word character or to a `:`/`.`-list
    /// (MAC addresses and times like `10:30:00` do not parse and are left). Brackets and
    /// ports around the address are kept.
    ///
    /// **Misses** addresses glued to a word (`ip2001:db8::1`); zone names with `.` or `-`
    /// lose only their first part.
    ///
    /// **Also removes** text that happens to parse as an address: short hex words around
    /// `::` (`a::b`, `dead::beef`) in code.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("[2001:db8::42]:8080 and fe80::1%eth0"), "[[ipv6]]:8080 and [ipv6]");
    /// assert_eq!(r.redact("mac 00:1a:2b:3c:4d:5e at 10:30:00"), "mac 00:1a:2b:3c:4d:5e at 10:30:00");
    /// assert_eq!(r.redact("use std::fs;"), "use std::fs;");
    /// assert_eq!(r.redact("use a::b;"), "use [ipv6];");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const IPV6: Detector = Detector(1 << 6);
    /// JSON Web Tokens (`jwt`).
    ///
    /// **Finds** `eyJ…` tokens (the base64url of a JSON object's `{"`) of three
    /// dot-separated base64url parts, header and payload 10+ characters each, the signature
    /// possibly empty (unsigned tokens).
    ///
    /// **Misses** tokens whose header does not start with `{"` (`{ "alg"…` encodes as
    /// `eyAi…`) and tokens broken across lines. Of a five-part JWE only the first three
    /// parts (header, encrypted key, IV) are replaced; the ciphertext and tag stay.
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(
    ///     r.redact("t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0"),
    ///     "t=[jwt]"
    /// );
    /// assert_eq!(r.redact("eyA0aGVhZGVy.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig"), "eyA0aGVhZGVy.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const JWT: Detector = Detector(1 << 7);
    /// `Authorization` header values and bare `Bearer` / `Basic` credentials
    /// (`auth_header`).
    ///
    /// **Finds** the value of any name ending in `authorization` (`Authorization`,
    /// `Proxy-Authorization`, ASCII case-insensitive) after `:` or `=`, as a JSON key or as
    /// a span attribute key: a quoted value up to its closing quote, an unquoted one to the
    /// end of the line, or to the closing quote when the whole header is one quoted string
    /// (`curl -H "Authorization: Bearer …" https://…`; `\"` inside double quotes is
    /// skipped). A known scheme in front (`Bearer`, `Basic`, `Token`, `Digest`,
    /// `Negotiate`, `NTLM`, `ApiKey`, `DPoP`, `HOBA`, `Mutual`, `AWS4-HMAC-SHA256`) is
    /// kept. Also, anywhere: `Bearer`/`bearer` followed by a token of 16+ characters that
    /// mixes letters and digits, and `Basic` followed by base64 of printable text
    /// containing `:`.
    ///
    /// **Misses** bare tokens that are short, all letters or all digits, or written after
    /// `BEARER`; bare `Basic` values that do not decode to `user:password`.
    ///
    /// **Also removes** everything after an unquoted `Authorization:` to the end of the
    /// line (or to the closing quote of a quoted header), whatever it is.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("Authorization: Bearer abc.DEF-123_xyz"), "Authorization: Bearer [auth_header]");
    /// assert_eq!(r.redact("use bearer 9f8e7d6c5b4a39281706f5e4 here"), "use bearer [auth_header] here");
    /// assert_eq!(r.redact("use Bearer abcdefghijklmnopqrstuvwxyz"), "use Bearer abcdefghijklmnopqrstuvwxyz"); // missed
    /// assert_eq!(r.redact("Authorization: Token abc, then more text"), "Authorization: Token [auth_header]");
    /// assert_eq!(
    ///     r.redact(r#"curl -H "Authorization: Bearer abc123def456" https://api.example.com"#),
    ///     r#"curl -H "Authorization: Bearer [auth_header]" https://api.example.com"#,
    /// );
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const AUTH_HEADER: Detector = Detector(1 << 8);
    /// `user:password` inside URLs (`url_credentials`).
    ///
    /// **Finds** the `user:password` part of `scheme://user:password@host` (the user may be
    /// empty: `redis://:pw@cache`); the scheme and host are kept.
    ///
    /// **Misses** credentials without `scheme://` (`user:pass@host`, where the `email`
    /// detector may still take `pass@host.tld`), passwords containing an unencoded `/`,
    /// `?`, `#` or whitespace, and a user name without a password (`https://token@host`,
    /// unless another detector knows the token).
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("postgres://admin:s3cr3t@db:5432/app"), "postgres://[url_credentials]@db:5432/app");
    /// assert_eq!(r.redact("https://user:pa/ss@host"), "https://user:pa/ss@host"); // missed
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const URL_CREDENTIALS: Detector = Detector(1 << 9);
    /// PEM private-key blocks (`private_key`).
    ///
    /// **Finds** a `-----BEGIN … PRIVATE KEY-----` header (PKCS#8, RSA, EC, DSA, OpenSSH,
    /// encrypted) or a PGP `-----BEGIN PGP PRIVATE KEY BLOCK-----` and replaces the whole
    /// block through the next `-----END … PRIVATE KEY-----` (or `… PRIVATE KEY
    /// BLOCK-----`) line, or to the end of the text if there is none (a truncated key).
    /// A replacement that swallowed the header (an unquoted `Authorization:` value before
    /// it on the same line) is extended over the block.
    ///
    /// **Misses** PuTTY `.ppk` files, JWK private keys, and key material without its
    /// header.
    ///
    /// **Also removes** nothing else.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(
    ///     r.redact("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----\nok"),
    ///     "[private_key]\nok"
    /// );
    /// let pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF0xyz\n-----END PGP PRIVATE KEY BLOCK-----";
    /// assert_eq!(r.redact(pgp), "[private_key]");
    /// let public = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQENBF0xyz\n-----END PGP PUBLIC KEY BLOCK-----";
    /// assert_eq!(r.redact(public), public);
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const PRIVATE_KEY: Detector = Detector(1 << 10);
    /// OpenAI API keys (`openai_key`), including project, service-account and admin keys.
    ///
    /// **Finds** `sk-` at the start of a word followed by `A-Z a-z 0-9 _ -`, 23 characters
    /// or more in all (`sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`, legacy `sk-…`). `sk-ant-`
    /// keys are `anthropic_key`.
    ///
    /// **Misses** a key glued to a preceding word character (`OPENAI_KEY_sk-…`;
    /// `OPENAI_KEY=sk-…` is found).
    ///
    /// **Also removes** other long `sk-`-prefixed slugs
    /// (`sk-learn-classification-tutorial`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("key sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNx"), "key [openai_key]");
    /// assert_eq!(r.redact("sk-short12345"), "sk-short12345");
    /// assert_eq!(r.redact("see sk-learn-classification-tutorial"), "see [openai_key]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const OPENAI_KEY: Detector = Detector(1 << 11);
    /// Anthropic API keys (`anthropic_key`).
    ///
    /// **Finds** `sk-ant-` at the start of a word followed by `A-Z a-z 0-9 _ -`, 30
    /// characters or more in all (`sk-ant-api03-…`, `sk-ant-admin01-…`).
    ///
    /// **Misses** keys glued to a preceding word character.
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("sk-ant-api03-R2D2C3POxyzR2D2C3POxyzR2D2C3POxyz"), "[anthropic_key]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const ANTHROPIC_KEY: Detector = Detector(1 << 12);
    /// AWS access key ids, and secret keys after their variable names (`aws_key`).
    ///
    /// **Finds** 20-character access key ids `AKIA…` (long-term) and `ASIA…` (temporary) as
    /// whole words; and the value of any name containing `aws` and `secret` and ending like
    /// a secret name (`aws_secret_access_key`, `AWS_SECRET_KEY`) in assignments, JSON keys
    /// and span attribute keys.
    ///
    /// **Misses** a bare 40-character secret key without its variable name, and other id
    /// prefixes (`AIDA…`, `AROA…`: identifiers, not credentials). Session tokens are found
    /// by `generic_secret` when written as `aws_session_token=…`.
    ///
    /// **Also removes** other 20-character `AKIA`/`ASIA` words, such as the documentation
    /// example `AKIAIOSFODNN7EXAMPLE`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("id AKIAIOSFODNN7EXAMPLE"), "id [aws_key]");
    /// assert_eq!(
    ///     r.redact("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ///     "aws_secret_access_key = [aws_key]"
    /// );
    /// assert_eq!(r.redact("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"); // missed
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const AWS_KEY: Detector = Detector(1 << 13);
    /// GitHub tokens, classic and fine-grained (`github_token`).
    ///
    /// **Finds** `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` tokens and `github_pat_`
    /// fine-grained tokens at the start of a word, 30 characters or more.
    ///
    /// **Misses** tokens issued before 2021 (40 hex digits without a prefix) and
    /// `v1.`-prefixed app tokens.
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("token ghp_iT6QLWhtjNZ8JJ7P3JIAVWEqt4H2hIcEdoxu"), "token [github_token]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const GITHUB_TOKEN: Detector = Detector(1 << 14);
    /// Slack tokens and incoming-webhook URLs (`slack_token`).
    ///
    /// **Finds** `xoxb-`, `xoxp-`, `xoxa-`, `xoxe-`, `xoxr-`, `xoxs-` tokens and `xapp-`
    /// app-level tokens (15+ characters), and incoming-webhook URLs
    /// `https://hooks.slack.com/services/…` (replaced from `://` on, so `https` stays).
    ///
    /// **Misses** `xoxc-` / `xoxd-` browser session tokens and cookies, and workflow
    /// webhooks (`hooks.slack.com/workflows/…`, `/triggers/…`).
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("slack xoxb-1234567890-1234567890123-AbCdEfGh"), "slack [slack_token]");
    /// assert_eq!(
    ///     r.redact("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ///     "https[slack_token]"
    /// );
    /// assert_eq!(r.redact("xoxc-1234567890-1234567890-abcdef"), "xoxc-1234567890-1234567890-abcdef"); // missed
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const SLACK_TOKEN: Detector = Detector(1 << 15);
    /// Stripe secret, restricted and webhook-signing keys (`stripe_key`).
    ///
    /// **Finds** `sk_live_`, `sk_test_`, `rk_live_`, `rk_test_` and `whsec_` keys at the
    /// start of a word, 20 characters or more.
    ///
    /// **Misses** nothing of those kinds. Publishable keys (`pk_live_…`) are public by
    /// design and left.
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("stripe sk_live_51H8xYzAbCdEfGhIjKlMnOpQr"), "stripe [stripe_key]");
    /// assert_eq!(r.redact("pk_live_51H8xYzAbCdEfGhIjKlMnOpQr"), "pk_live_51H8xYzAbCdEfGhIjKlMnOpQr");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const STRIPE_KEY: Detector = Detector(1 << 16);
    /// Google API keys, OAuth access tokens and OAuth client secrets (`google_key`).
    ///
    /// **Finds** `AIza…` API keys, `ya29.` access tokens and `GOCSPX-` client secrets at
    /// the start of a word, 30 characters or more. Service-account keys are PEM private
    /// keys (`private_key`).
    ///
    /// **Misses** OAuth refresh tokens (`1//0…`) and authorization codes.
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("google AIzaSyA-1234567890abcdefghijklmnopqrstu"), "google [google_key]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const GOOGLE_KEY: Detector = Detector(1 << 17);
    /// Hugging Face access tokens (`huggingface_token`).
    ///
    /// **Finds** `hf_` tokens at the start of a word, 30 characters or more.
    ///
    /// **Misses** legacy organisation tokens (`api_org_…`).
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("hf hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"), "hf [huggingface_token]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const HUGGINGFACE_TOKEN: Detector = Detector(1 << 18);
    /// Prefixed tokens of other providers (`other_api_key`): GitLab, npm, PyPI, SendGrid,
    /// Groq, Replicate, xAI, Perplexity, DigitalOcean; Discord webhook URLs and Telegram bot
    /// tokens.
    ///
    /// **Finds** GitLab `glpat-`, npm `npm_`, PyPI `pypi-`, SendGrid `SG.….…`, Groq `gsk_`,
    /// Replicate `r8_`, xAI `xai-`, Perplexity `pplx-` and DigitalOcean `dop_v1_` tokens at
    /// the start of a word, 24 characters or more; and Discord webhook URLs
    /// `https://discord.com/api/webhooks/<id>/<token>` (also `discordapp.com`, `ptb.` and
    /// `canary.`), replaced from `://` on like Slack's; and the secret half of Telegram bot
    /// tokens (`123456789:AA…`, 32 to 38 characters after the `:`; the bot id stays).
    ///
    /// **Misses** keys without a distinctive prefix (Azure, Mistral, Cohere and many
    /// others): those are found only by their variable name (`generic_secret`).
    ///
    /// **Also removes** nothing else in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("gitlab glpat-xxxxxxxxxxxxxxxxxxxx"), "gitlab [other_api_key]");
    /// assert_eq!(
    ///     r.redact("post to https://discord.com/api/webhooks/123456789012345678/AbC-dEf_0123456789abcdefghij now"),
    ///     "post to https[other_api_key] now"
    /// );
    /// assert_eq!(
    ///     r.redact("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"),
    ///     "https://api.telegram.org/bot123456789:[other_api_key]/getMe"
    /// );
    /// assert_eq!(r.redact("MISTRAL_API_KEY=Xy12Ab34Cd56Ef78"), "MISTRAL_API_KEY=[generic_secret]");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const OTHER_API_KEY: Detector = Detector(1 << 19);
    /// Values assigned to secret-bearing names (`generic_secret`): `password=…`,
    /// `"api_key": …`, `--password …`.
    ///
    /// **Finds** the value after `=` or `:` (also `==`, `===`, `=>`, `:=`; optionally
    /// quoted, spaces around the operator
    /// allowed), after blanks following a command-line flag (`--password hunter2`,
    /// `--api-key "…"`; not when the next word is another flag, a shell operator or an
    /// unquoted word of prose such as `flag`, `with`, `to`), or in
    /// single quotes after the name and a blank (SQL's `PASSWORD 'x'`; also `IDENTIFIED BY
    /// 'x'`), when the name before it ends, ignoring ASCII case and the separators `_ -
    /// .`, in `password`, `passwd`, `pwd`, `passphrase`, `passcode`, `secret`, `secrets`,
    /// `secretkey`, `apikey`, `token`, `accesskey`, `accountkey`, `privatekey`, `signingkey`,
    /// `encryptionkey`, `credential`, `credentials`, `sessionid`, `cookie`, `signature` or
    /// `sig` (the signature of a pre-signed S3, GCS or Azure SAS URL grants access)
    /// (`DB_PASSWORD`, `client_secret`, `x-api-key`, `Cookie`); and, with the same names,
    /// the scalar value of a JSON key at any depth and of a span attribute key (or its last
    /// `.` segment). An unquoted value ends at whitespace, a quote, `,`, `;` or `&`; a
    /// quoted one at its closing quote or the end of the line (a Python prefix such as
    /// `f"…"` belongs to the quote). A value that only points at the secret is kept: a
    /// placeholder (`<your-token>`), a template or variable reference (`{token}` without
    /// digits,
    /// `${TOKEN}`, `{{ secrets.TOKEN }}`, `$GITHUB_TOKEN`), an environment lookup
    /// (`os.environ[…]`, `process.env.…`, `env::var(…)`), a call with a string argument
    /// (`getpass('Password: ')`; the argument itself is scanned like any text) or a mask
    /// (`****`). A value that another
    /// detector recognises whole is labelled by that detector, in text, JSON and span
    /// attributes alike (`"api_key": "sk-proj-…"` becomes `"[openai_key]"`).
    ///
    /// **Misses** secrets in prose (`my password is hunter2`), other names (`pass`, `pin`,
    /// `key`, `auth`), operators (`password -> x`), single-dash flags (`-p hunter2`), other
    /// SQL forms (`SET PASSWORD FOR u = 'x'`), the part of an
    /// unquoted value after a space (`password=correct horse` keeps `horse`), and a name
    /// holding a JSON object or array (its leaves are only scanned like any text).
    ///
    /// **Also removes** non-secret values under such names, such as a count under a
    /// singular `token` (`token: 512`; the plural `max_tokens` is left).
    ///
    /// # Examples
    ///
    /// ```
    /// # use genai_otel::{Detector, Redactor};
    /// let r = Redactor::builder().builtin(Detector::ALL).build()?;
    /// assert_eq!(r.redact("DB_PASSWORD = 's3cr3t'"), "DB_PASSWORD = '[generic_secret]'");
    /// assert_eq!(r.redact(r#"{"client_secret": "shh"}"#), r#"{"client_secret": "[generic_secret]"}"#);
    /// assert_eq!(r.redact("my password is hunter2"), "my password is hunter2"); // missed
    /// assert_eq!(
    ///     r.redact("mysql -u root --password hunter22 --max-tokens 512"),
    ///     "mysql -u root --password [generic_secret] --max-tokens 512"
    /// );
    /// assert_eq!(
    ///     r.redact("ALTER USER app WITH PASSWORD 'Sup3r'; -- don't"),
    ///     "ALTER USER app WITH PASSWORD '[generic_secret]'; -- don't"
    /// );
    /// assert_eq!(r.redact("password=correct horse"), "password=[generic_secret] horse");
    /// assert_eq!(r.redact("token: 512, max_tokens: 512"), "token: [generic_secret], max_tokens: 512");
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub const GENERIC_SECRET: Detector = Detector(1 << 20);

    /// Every provider API-key detector, [`Detector::AWS_KEY`] included.
    pub const API_KEYS: Detector = Detector(
        Self::OPENAI_KEY.0
            | Self::ANTHROPIC_KEY.0
            | Self::AWS_KEY.0
            | Self::GITHUB_TOKEN.0
            | Self::SLACK_TOKEN.0
            | Self::STRIPE_KEY.0
            | Self::GOOGLE_KEY.0
            | Self::HUGGINGFACE_TOKEN.0
            | Self::OTHER_API_KEY.0,
    );

    /// Every built-in detector.
    pub const ALL: Detector = Detector((1 << 21) - 1);

    const NAMES: [(Detector, &'static str); 21] = [
        (Self::EMAIL, "email"),
        (Self::PHONE, "phone"),
        (Self::SSN, "ssn"),
        (Self::CARD, "card"),
        (Self::IBAN, "iban"),
        (Self::IPV4, "ipv4"),
        (Self::IPV6, "ipv6"),
        (Self::JWT, "jwt"),
        (Self::AUTH_HEADER, "auth_header"),
        (Self::URL_CREDENTIALS, "url_credentials"),
        (Self::PRIVATE_KEY, "private_key"),
        (Self::OPENAI_KEY, "openai_key"),
        (Self::ANTHROPIC_KEY, "anthropic_key"),
        (Self::AWS_KEY, "aws_key"),
        (Self::GITHUB_TOKEN, "github_token"),
        (Self::SLACK_TOKEN, "slack_token"),
        (Self::STRIPE_KEY, "stripe_key"),
        (Self::GOOGLE_KEY, "google_key"),
        (Self::HUGGINGFACE_TOKEN, "huggingface_token"),
        (Self::OTHER_API_KEY, "other_api_key"),
        (Self::GENERIC_SECRET, "generic_secret"),
    ];

    /// True if every detector in `other` is in `self`.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Detector;
    ///
    /// assert!(Detector::ALL.contains(Detector::IBAN | Detector::JWT));
    /// assert!(!Detector::EMAIL.contains(Detector::ALL));
    /// ```
    pub const fn contains(self, other: Detector) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if `self` and `other` share at least one detector.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Detector;
    ///
    /// assert!(Detector::API_KEYS.intersects(Detector::OPENAI_KEY | Detector::EMAIL));
    /// assert!(!Detector::EMAIL.intersects(Detector::PHONE));
    /// ```
    pub const fn intersects(self, other: Detector) -> bool {
        self.0 & other.0 != 0
    }

    /// True if the set holds no detector.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Detector;
    ///
    /// assert!(Detector::NONE.is_empty());
    /// assert!(!Detector::EMAIL.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Looks a detector up by name (`"email"`, `"openai_key"`, …). The group
    /// names `"all"` and `"api_keys"` are accepted too. Names are matched
    /// exactly (lowercase).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Detector;
    ///
    /// assert_eq!(Detector::from_name("card"), Some(Detector::CARD));
    /// assert_eq!(Detector::from_name("api_keys"), Some(Detector::API_KEYS));
    /// assert_eq!(Detector::from_name("credit-card"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Detector> {
        match name {
            "all" => Some(Self::ALL),
            "api_keys" => Some(Self::API_KEYS),
            _ => Self::NAMES
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(d, _)| *d),
        }
    }

    /// The names of the detectors in this set, in table order.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Detector;
    ///
    /// assert_eq!(Detector::ALL.names().count(), 21);
    /// assert_eq!(Detector::SSN.names().next(), Some("ssn"));
    /// ```
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(d, _)| self.contains(*d))
            .map(|(_, n)| n)
    }

    /// The name of a single detector; `None` for an empty or multi-detector
    /// set.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::Detector;
    ///
    /// assert_eq!(Detector::IPV6.name(), Some("ipv6"));
    /// assert_eq!((Detector::IPV4 | Detector::IPV6).name(), None);
    /// ```
    pub fn name(self) -> Option<&'static str> {
        // `NAMES` is in bit order: a single detector's bit is its index
        // (one lookup per replaced secret, instead of a search).
        if self.0.count_ones() != 1 {
            return None;
        }
        let index = usize::try_from(self.0.trailing_zeros()).ok()?;
        Self::NAMES
            .get(index)
            .filter(|(d, _)| *d == self)
            .map(|(_, n)| *n)
    }

    /// The label written for this detector's matches (its name, or `"pii"`
    /// for a set that is not a single detector).
    pub(crate) fn label(self) -> &'static str {
        self.name().unwrap_or("pii")
    }
}

impl BitOr for Detector {
    type Output = Detector;

    fn bitor(self, rhs: Detector) -> Detector {
        Detector(self.0 | rhs.0)
    }
}

impl BitOrAssign for Detector {
    fn bitor_assign(&mut self, rhs: Detector) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Detector(")?;
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
        }
        f.write_str(")")
    }
}

/// How a built-in candidate is validated and which span it replaces.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refine {
    /// The whole match, if it is at least this long.
    MinLen(usize),
    Email,
    UrlCredentials,
    Jwt,
    Bearer,
    Basic,
    Phone,
    Ssn,
    Card,
    Ipv4,
    Ipv6,
    Iban,
    Assignment,
    /// A command-line flag with a secret-bearing name and its value
    /// (`--password hunter2`).
    Flag,
    /// A quoted literal after a secret-bearing word and a blank (SQL's
    /// `PASSWORD 'x'`, `IDENTIFIED BY 'x'`).
    QuotedAfterName,
    /// The secret half of a Telegram bot token, after `<bot id>:`.
    Telegram,
}

/// One built-in pattern.
#[derive(Debug)]
pub(crate) struct Builtin {
    /// The detector(s) that switch this pattern on.
    pub(crate) detector: Detector,
    pub(crate) pattern: &'static str,
    pub(crate) refine: Refine,
}

const fn b(detector: Detector, pattern: &'static str, refine: Refine) -> Builtin {
    Builtin {
        detector,
        pattern,
        refine,
    }
}

/// The built-in patterns in priority order: when two start at the same byte,
/// the earlier one is tried first (a rejected candidate falls through to the
/// next pattern that can start there).
pub(crate) static BUILTINS: &[Builtin] = &[
    b(
        Detector::PRIVATE_KEY,
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)",
        Refine::MinLen(1),
    ),
    b(
        Detector::URL_CREDENTIALS,
        r"://[^\s:/?#@\[\]]*:[^\s/?#]*@",
        Refine::UrlCredentials,
    ),
    b(
        Detector::JWT,
        r"(?-u:\b)eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
        Refine::Jwt,
    ),
    b(
        Detector::ANTHROPIC_KEY,
        r"(?-u:\b)sk-ant-[A-Za-z0-9_-]+",
        Refine::MinLen(30),
    ),
    b(
        Detector::OPENAI_KEY,
        r"(?-u:\b)sk-[A-Za-z0-9_-]+",
        Refine::MinLen(23),
    ),
    b(
        Detector::AWS_KEY,
        r"(?-u:\b)(?:AKIA|ASIA)[A-Z0-9]{16}(?-u:\b)",
        Refine::MinLen(20),
    ),
    b(
        Detector::GITHUB_TOKEN,
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]+|github_pat_[A-Za-z0-9_]+)",
        Refine::MinLen(30),
    ),
    b(
        Detector::SLACK_TOKEN,
        r"(?-u:\b)(?:xox[abeprs]-[A-Za-z0-9-]+|xapp-[0-9]+-[A-Za-z0-9-]+)",
        Refine::MinLen(15),
    ),
    b(
        // Starts at the `:` of `https://` so the `:` trigger byte covers it.
        Detector::SLACK_TOKEN,
        r"://hooks\.slack\.com/services/[A-Za-z0-9_/-]+",
        Refine::MinLen(43),
    ),
    b(
        // Starts at the `:` of `https://`, as Slack's webhook does.
        Detector::OTHER_API_KEY,
        r"://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]+",
        Refine::MinLen(50),
    ),
    b(
        // The secret half of a Telegram bot token `<8-10 digit bot id>:AA…`,
        // starting at the `:`.
        Detector::OTHER_API_KEY,
        r"(?-u::AA[A-Za-z0-9_-]{30,36}\b)",
        Refine::Telegram,
    ),
    b(
        Detector::STRIPE_KEY,
        r"(?-u:\b)(?:[sr]k_(?:live|test)_[A-Za-z0-9]+|whsec_[A-Za-z0-9]+)",
        Refine::MinLen(20),
    ),
    b(
        Detector::GOOGLE_KEY,
        r"(?-u:\b)(?:AIza[A-Za-z0-9_-]+|ya29\.[A-Za-z0-9_-]+|GOCSPX-[A-Za-z0-9_-]+)",
        Refine::MinLen(30),
    ),
    b(
        Detector::HUGGINGFACE_TOKEN,
        r"(?-u:\b)hf_[A-Za-z0-9]+",
        Refine::MinLen(30),
    ),
    b(
        Detector::OTHER_API_KEY,
        r"(?-u:\b)(?:glpat-[A-Za-z0-9_-]+|npm_[A-Za-z0-9]+|pypi-[A-Za-z0-9_-]+|SG\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+|gsk_[A-Za-z0-9]+|r8_[A-Za-z0-9]+|xai-[A-Za-z0-9]+|pplx-[A-Za-z0-9]+|dop_v1_[a-f0-9]+)",
        Refine::MinLen(24),
    ),
    b(
        Detector::AUTH_HEADER,
        r"(?-u:\b)(?:Bearer|bearer)[ \t]+[A-Za-z0-9._~+/-]+=*",
        Refine::Bearer,
    ),
    b(
        Detector::AUTH_HEADER,
        r"(?-u:\b)Basic[ \t]+[A-Za-z0-9+/]+={0,2}",
        Refine::Basic,
    ),
    b(
        Detector::EMAIL,
        r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?-u:\b)",
        Refine::Email,
    ),
    b(
        Detector::IBAN,
        r"[0-9]{2}(?: ?[A-Za-z0-9]){11,30}",
        Refine::Iban,
    ),
    b(
        Detector::CARD,
        r"[0-9](?:[ -]?[0-9]){12,18}(?-u:\b)",
        Refine::Card,
    ),
    b(
        Detector::SSN,
        r"[0-9]{3}(?:-[0-9]{2}-| [0-9]{2} )[0-9]{4}(?-u:\b)",
        Refine::Ssn,
    ),
    b(
        Detector::PHONE,
        r"(?:\+?1[ .-]?)?(?:\([0-9]{3}\)[ .-]?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}(?-u:\b)",
        Refine::Phone,
    ),
    b(
        Detector::PHONE,
        r"\+[1-9](?:[ .()-]{0,2}[0-9]){7,14}(?-u:\b)",
        Refine::Phone,
    ),
    b(
        Detector::IPV4,
        r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?-u:\b)",
        Refine::Ipv4,
    ),
    b(
        Detector::IPV6,
        r":(?:[0-9A-Fa-f]{0,4}:)+[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?:%[0-9A-Za-z]+)?|:(?:[0-9A-Fa-f]{1,4}:|:)[0-9A-Fa-f:]*(?:%[0-9A-Za-z]+)?",
        Refine::Ipv6,
    ),
    b(
        Detector(Detector::AUTH_HEADER.0 | Detector::AWS_KEY.0 | Detector::GENERIC_SECRET.0),
        r"[:=]",
        Refine::Assignment,
    ),
    b(
        Detector(Detector::AUTH_HEADER.0 | Detector::AWS_KEY.0 | Detector::GENERIC_SECRET.0),
        r"--[A-Za-z]",
        Refine::Flag,
    ),
    b(
        Detector(Detector::AUTH_HEADER.0 | Detector::AWS_KEY.0 | Detector::GENERIC_SECRET.0),
        r"'",
        Refine::QuotedAfterName,
    ),
];

/// An accepted candidate: the span to replace and the detector it counts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub(crate) span: Range<usize>,
    pub(crate) detector: Detector,
}

impl Builtin {
    /// Validates the candidate `m` found in `bytes`. `floor` is the end of the
    /// previous accepted span: a left-extension never crosses it. `enabled`
    /// is the redactor's detector set.
    pub(crate) fn refine(
        &self,
        bytes: &[u8],
        m: Range<usize>,
        floor: usize,
        enabled: Detector,
    ) -> Option<Accepted> {
        let whole = |det: Detector| Accepted {
            span: m.clone(),
            detector: det,
        };
        let found = bytes.get(m.clone())?;
        match self.refine {
            Refine::MinLen(n) => (found.len() >= n).then(|| whole(self.detector)),
            Refine::Email => email(bytes, m, floor),
            Refine::UrlCredentials => url_credentials(found, m.start),
            Refine::Jwt => {
                let mut parts = found.split(|&c| c == b'.');
                let header = parts.next()?.len();
                let payload = parts.next()?.len();
                (header >= 10 && payload >= 10).then(|| whole(Detector::JWT))
            }
            Refine::Bearer => {
                let start = m.start + found.iter().position(|&c| c == b' ' || c == b'\t')?;
                let start = start
                    + bytes
                        .get(start..m.end)?
                        .iter()
                        .take_while(|&&c| c == b' ' || c == b'\t')
                        .count();
                let token = bytes.get(start..m.end)?;
                (token.len() >= 16 && validate::looks_random(token)).then_some(Accepted {
                    span: start..m.end,
                    detector: Detector::AUTH_HEADER,
                })
            }
            Refine::Basic => {
                let start = m.start + found.iter().position(|&c| c == b' ' || c == b'\t')?;
                let start = start
                    + bytes
                        .get(start..m.end)?
                        .iter()
                        .take_while(|&&c| c == b' ' || c == b'\t')
                        .count();
                let token = bytes.get(start..m.end)?;
                (token.len() >= 8 && validate::basic_credentials(token)).then_some(Accepted {
                    span: start..m.end,
                    detector: Detector::AUTH_HEADER,
                })
            }
            Refine::Phone => {
                let ok = !prev(bytes, m.start).is_some_and(is_alnum)
                    && !validate::follows_number(bytes, m.start)
                    && !validate::continues_number(bytes, m.end);
                ok.then(|| whole(Detector::PHONE))
            }
            Refine::Ssn => {
                let ok = !prev(bytes, m.start).is_some_and(is_alnum)
                    && !validate::follows_number(bytes, m.start)
                    && !validate::continues_number(bytes, m.end)
                    && validate::ssn(found);
                ok.then(|| whole(Detector::SSN))
            }
            Refine::Card => card(bytes, m),
            Refine::Ipv4 => {
                let before_ok = match prev(bytes, m.start) {
                    Some(p) => !is_alnum(p) && !validate::follows_number(bytes, m.start),
                    None => true,
                };
                let after_ok = !(bytes.get(m.end) == Some(&b'.')
                    && bytes.get(m.end + 1).is_some_and(u8::is_ascii_digit));
                (before_ok && after_ok && validate::ipv4(found)).then(|| whole(Detector::IPV4))
            }
            Refine::Ipv6 => ipv6(bytes, m, floor),
            Refine::Iban => iban(bytes, m.start, floor),
            Refine::Assignment => assignment(bytes, m.start, enabled),
            Refine::Flag => flag(bytes, m.start, enabled),
            Refine::QuotedAfterName => quoted_after_name(bytes, m.start, enabled),
            Refine::Telegram => {
                (telegram_bot_id(bytes, m.start) && m.start + 1 < m.end).then(|| Accepted {
                    span: m.start + 1..m.end,
                    detector: Detector::OTHER_API_KEY,
                })
            }
        }
    }
}

fn is_local_part(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn email(bytes: &[u8], m: Range<usize>, floor: usize) -> Option<Accepted> {
    let at = m.start;
    let mut start = at;
    while start > floor && at - start < 128 && prev(bytes, start).is_some_and(is_local_part) {
        start -= 1;
    }
    while start < at && bytes.get(start) == Some(&b'.') {
        start += 1;
    }
    (start < at).then_some(Accepted {
        span: start..m.end,
        detector: Detector::EMAIL,
    })
}

fn url_credentials(found: &[u8], start: usize) -> Option<Accepted> {
    // found = "://user:password@"
    let inner = found.get(3..found.len().checked_sub(1)?)?;
    let colon = inner.iter().position(|&c| c == b':')?;
    let password = inner.get(colon + 1..)?;
    (!password.is_empty()).then_some(Accepted {
        span: start + 3..start + 3 + inner.len(),
        detector: Detector::URL_CREDENTIALS,
    })
}

fn card(bytes: &[u8], m: Range<usize>) -> Option<Accepted> {
    if prev(bytes, m.start).is_some_and(is_alnum) || validate::follows_number(bytes, m.start) {
        return None;
    }
    let found = bytes.get(m.clone())?;
    if validate::card(found) && !validate::continues_number(bytes, m.end) {
        return Some(Accepted {
            span: m,
            detector: Detector::CARD,
        });
    }
    // "4111 1111 1111 1111 202": the greedy match took a trailing group that
    // is not part of the card. Try shorter prefixes that end at a space.
    let mut end = found.len();
    while let Some(cut) = found
        .get(..end)
        .and_then(|f| f.iter().rposition(|&c| c == b' '))
    {
        let prefix = found.get(..cut)?;
        if validate::card(prefix) {
            return Some(Accepted {
                span: m.start..m.start + cut,
                detector: Detector::CARD,
            });
        }
        end = cut;
    }
    None
}

fn ipv6(bytes: &[u8], m: Range<usize>, floor: usize) -> Option<Accepted> {
    let mut start = m.start;
    let mut k = 0;
    while k < 4 && start > floor && prev(bytes, start).is_some_and(|c| c.is_ascii_hexdigit()) {
        start -= 1;
        k += 1;
    }
    if prev(bytes, start).is_some_and(|c| is_word(c) || c == b':' || c == b'.') {
        return None;
    }
    let mut end = m.end;
    if bytes.get(end - 1) == Some(&b':') && bytes.get(end.checked_sub(2)?) != Some(&b':') {
        end -= 1;
    }
    if bytes.get(end).is_some_and(|&c| is_word(c)) {
        return None;
    }
    validate::ipv6(bytes.get(start..end)?).then_some(Accepted {
        span: start..end,
        detector: Detector::IPV6,
    })
}

fn iban(bytes: &[u8], check: usize, floor: usize) -> Option<Accepted> {
    let start = check.checked_sub(2)?;
    if start < floor || prev(bytes, start).is_some_and(is_alnum) {
        return None;
    }
    // An uppercase country code: lowercase would match hex digests.
    let cc = [*bytes.get(start)?, *bytes.get(start + 1)?];
    if !cc.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let len = validate::iban_length(cc)?;
    let mut buf = [0u8; 34];
    buf[0] = cc[0];
    buf[1] = cc[1];
    let mut n = 2;
    let mut i = check;
    while n < len {
        match bytes.get(i) {
            Some(&c) if c.is_ascii_alphanumeric() => {
                *buf.get_mut(n)? = c.to_ascii_uppercase();
                n += 1;
                i += 1;
            }
            Some(b' ') if bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) => i += 1,
            _ => return None,
        }
    }
    if bytes.get(i).is_some_and(|&c| is_alnum(c)) {
        return None;
    }
    validate::iban_mod97(buf.get(..len)?).then_some(Accepted {
        span: start..i,
        detector: Detector::IBAN,
    })
}

/// HTTP authentication schemes kept in front of a redacted `Authorization`
/// value (`Authorization: Bearer [auth_header]`).
const AUTH_SCHEMES: &[&[u8]] = &[
    b"bearer",
    b"basic",
    b"token",
    b"digest",
    b"negotiate",
    b"ntlm",
    b"apikey",
    b"dpop",
    b"hoba",
    b"mutual",
    b"aws4-hmac-sha256",
];

/// The detector a key kind maps to under the enabled set.
pub(crate) fn key_detector(kind: KeyKind, enabled: Detector) -> Option<Detector> {
    let det = match kind {
        KeyKind::Authorization => Detector::AUTH_HEADER,
        KeyKind::AwsSecret if enabled.contains(Detector::AWS_KEY) => Detector::AWS_KEY,
        KeyKind::AwsSecret | KeyKind::Secret => Detector::GENERIC_SECRET,
    };
    enabled.contains(det).then_some(det)
}

/// The part of a secret-bearing value to replace: all of it, except a
/// leading authentication scheme for `Authorization` values. `None` if
/// nothing is left to replace or the value is already a redaction token.
pub(crate) fn secret_value_span(value: &[u8], kind: KeyKind) -> Option<Range<usize>> {
    let mut start = 0;
    if kind == KeyKind::Authorization {
        let word = value
            .iter()
            .position(|&c| c == b' ' || c == b'\t')
            .unwrap_or(value.len());
        let scheme = value.get(..word)?;
        if AUTH_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
            start = word
                + value
                    .get(word..)?
                    .iter()
                    .take_while(|&&c| c == b' ' || c == b'\t')
                    .count();
        }
    }
    let rest = value.get(start..)?;
    let rest_len = rest.len()
        - rest
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_whitespace())
            .count();
    let rest = rest.get(..rest_len)?;
    (!rest.is_empty() && !validate::is_marker(rest) && !is_reference(rest))
        .then_some(start..start + rest_len)
}

/// A value that names where the secret comes from instead of holding it:
/// a placeholder (`<your-token>`, letters only), a template or variable
/// reference (`{token}` without digits, `${TOKEN}`, `{{ secrets.TOKEN }}`,
/// `$GITHUB_TOKEN`: upper case with an underscore, as `$ecret1` could be a
/// password), a call or index cut at its string argument (`getpass(`,
/// `os.environ[`, `document.getElementById(`), an environment lookup
/// (`process.env.…`, `env::var(…`), or a mask (`********`).
fn is_reference(value: &[u8]) -> bool {
    // Lookups the call rule below does not cover (no `(` / `[` right after
    // a dotted name).
    const LOOKUPS: &[&[u8]] = &[b"process.env.", b"env::var(", b"std::env::var("];
    let ident = |s: &[u8]| {
        s.first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
            && s.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.'))
    };
    if LOOKUPS.iter().any(|l| value.starts_with(l)) {
        return true;
    }
    // A call or index with a string argument, cut at its quote:
    // `document.getElementById("password")`, `getpass('Password: ')`.
    if let Some(callee) = value
        .strip_suffix(b"(")
        .or_else(|| value.strip_suffix(b"["))
    {
        if ident(callee) && !callee.ends_with(b".") {
            return true;
        }
    }
    if value.len() >= 3 && value.iter().all(|&c| c == b'*') {
        return true;
    }
    if let Some(inner) = value.strip_prefix(b"<").and_then(|v| v.strip_suffix(b">")) {
        return inner.first().is_some_and(u8::is_ascii_alphabetic)
            && inner
                .iter()
                .all(|c| c.is_ascii_alphabetic() || matches!(c, b' ' | b'_' | b'-'));
    }
    if let Some(inner) = value
        .strip_prefix(b"{{")
        .and_then(|v| v.strip_suffix(b"}}"))
    {
        return ident(inner.trim_ascii());
    }
    if let Some(inner) = value.strip_prefix(b"${").and_then(|v| v.strip_suffix(b"}")) {
        return ident(inner);
    }
    // `{token}` (f-strings, format strings): without digits, so that a
    // password written in braces (`{hunter2}`) is not taken for one.
    if let Some(inner) = value.strip_prefix(b"{").and_then(|v| v.strip_suffix(b"}")) {
        return ident(inner) && !inner.iter().any(u8::is_ascii_digit);
    }
    if let Some(name) = value.strip_prefix(b"$") {
        return name.first().is_some_and(u8::is_ascii_uppercase)
            && name.contains(&b'_')
            && name
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_');
    }
    false
}

fn assignment(bytes: &[u8], op: usize, enabled: Detector) -> Option<Accepted> {
    let (ks, ke) = validate::key_before(bytes, op)?;
    let kind = validate::key_kind(bytes.get(ks..ke)?)?;
    let detector = key_detector(kind, enabled)?;
    let mut i = op + 1;
    // The rest of a longer operator: `==` / `===` (a comparison with a
    // literal, which is the secret), `=>` (a map entry), `:=`.
    while matches!(bytes.get(i), Some(b'=' | b'>')) && i - op < 3 {
        i += 1;
    }
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    // `getpass('Password: ')`, `print("Token: " + t)`: the quote after the
    // operator closes the string the name is in; there is no value.
    if let Some(q) = header_quote(bytes, ks, ke) {
        if bytes.get(i) == Some(&q) {
            return None;
        }
    }
    let (vs, ve) = value_at(bytes, i, kind, (ks, ke))?;
    value_hit(bytes, vs..ve, kind, detector)
}

/// `--password hunter2`, `--api-key "…"`: the value after a flag whose name
/// is secret-bearing, separated by blanks (`--password=…` is an assignment).
/// The flag starts a word; a value that is another flag or a shell operator
/// (`--with-token < file`) is none.
fn flag(bytes: &[u8], start: usize, enabled: Detector) -> Option<Accepted> {
    if prev(bytes, start).is_some_and(|c| is_ident_byte(c) || c == b'-') {
        return None;
    }
    let name = flag_name(bytes, start)?;
    let (ks, ke) = (start + 2, start + 2 + name.len());
    let kind = validate::key_kind(name)?;
    let detector = key_detector(kind, enabled)?;
    let mut i = ke;
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if i == ke || matches!(bytes.get(i), Some(b'-' | b'<' | b'>' | b'|' | b'&' | b';')) {
        return None;
    }
    let (vs, ve) = value_at(bytes, i, kind, (ks, ke))?;
    // Prose about the flag (`use the --token flag`, `pass --api-key with
    // your key`) is not a value.
    let quoted = matches!(bytes.get(i), Some(b'"' | b'\''));
    if !quoted && is_prose_word(bytes.get(vs..ve)?) {
        return None;
    }
    value_hit(bytes, vs..ve, kind, detector)
}

/// Words that follow a flag's name in prose rather than its value (ASCII
/// case ignored, trailing `.,:;!?)` too): what the flag is, or the next word
/// of the sentence.
fn is_prose_word(word: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"a",
        b"an",
        b"and",
        b"are",
        b"arg",
        b"argument",
        b"arguments",
        b"as",
        b"at",
        b"be",
        b"but",
        b"by",
        b"can",
        b"do",
        b"does",
        b"flag",
        b"flags",
        b"for",
        b"from",
        b"has",
        b"if",
        b"in",
        b"instead",
        b"into",
        b"is",
        b"it",
        b"may",
        b"must",
        b"not",
        b"of",
        b"on",
        b"option",
        b"options",
        b"or",
        b"param",
        b"parameter",
        b"parameters",
        b"set",
        b"should",
        b"so",
        b"switch",
        b"that",
        b"the",
        b"then",
        b"this",
        b"to",
        b"too",
        b"value",
        b"values",
        b"was",
        b"when",
        b"which",
        b"will",
        b"with",
        b"without",
        b"you",
        b"your",
    ];
    let end = word.len()
        - word
            .iter()
            .rev()
            .take_while(|c| matches!(c, b'.' | b',' | b':' | b';' | b'!' | b'?' | b')'))
            .count();
    let word = word.get(..end).unwrap_or_default();
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// `PASSWORD 'x'`, `IDENTIFIED BY 'x'` (SQL), `token 'x'`: the literal in
/// single quotes at `q` after a blank and a secret-bearing word (or
/// `IDENTIFIED BY`), up to its closing quote (`''` inside is a quote) or the
/// end of the line.
fn quoted_after_name(bytes: &[u8], q: usize, enabled: Detector) -> Option<Accepted> {
    let (kind, _) = quoted_name(bytes, q)?;
    let detector = key_detector(kind, enabled)?;
    let vs = q + 1;
    let mut j = vs;
    loop {
        match bytes.get(j) {
            None | Some(b'\n' | b'\r') => break,
            Some(b'\'') if bytes.get(j + 1) == Some(&b'\'') => j += 2,
            Some(b'\'') => break,
            Some(_) => j += 1,
        }
    }
    let ve = j.min(bytes.len());
    value_hit(bytes, vs..ve, kind, detector)
}

/// For a `'` at `q` after a blank: what the word before says, and where it
/// starts. `IDENTIFIED BY` counts as a secret-bearing name. Out of line, as
/// [`dashes_context`]: [`precheck`] calls it at every such quote.
#[inline(never)]
fn quoted_name(bytes: &[u8], q: usize) -> Option<(KeyKind, usize)> {
    if !matches!(prev(bytes, q), Some(b' ' | b'\t')) {
        return None;
    }
    let (ks, ke) = validate::key_before(bytes, q)?;
    let name = bytes.get(ks..ke)?;
    if let Some(kind) = validate::key_kind(name) {
        return Some((kind, ks));
    }
    if !name.eq_ignore_ascii_case(b"by") {
        return None;
    }
    let (ws, we) = validate::key_before(bytes, ks)?;
    let identified = we < ks && bytes.get(ws..we)?.eq_ignore_ascii_case(b"identified");
    identified.then_some((KeyKind::Secret, ks))
}

/// The name of the flag whose `--` is at `start` (at most 128 bytes).
fn flag_name(bytes: &[u8], start: usize) -> Option<&[u8]> {
    let rest = bytes.get(start + 2..)?;
    let n = rest
        .iter()
        .take(128)
        .take_while(|&&c| is_ident_byte(c) || c == b'-')
        .count();
    rest.get(..n)
}

/// `[A-Za-z0-9_]`.
fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The part of the value `value` (a range of `bytes`) to replace, as a
/// hit of `detector`; see [`secret_value_span`].
fn value_hit(
    bytes: &[u8],
    value: Range<usize>,
    kind: KeyKind,
    detector: Detector,
) -> Option<Accepted> {
    let span = secret_value_span(bytes.get(value.clone())?, kind)?;
    Some(Accepted {
        span: value.start + span.start..value.start + span.end,
        detector,
    })
}

/// The value that starts at `i`, after the operator of the key `key`
/// (`ks..ke`): a quoted value to its closing quote (or the end of the
/// line), an unquoted one to whitespace, a quote, `,`, `;` or `&`, and an
/// unquoted `Authorization` value to the end of the line or the closing
/// quote of a quoted header. `None` for a JSON object or array, or nothing.
fn value_at(
    bytes: &[u8],
    i: usize,
    kind: KeyKind,
    (ks, ke): (usize, usize),
) -> Option<(usize, usize)> {
    // A Python string prefix (`f"Bearer {token}"`) belongs to the quote.
    let i = match (bytes.get(i), bytes.get(i + 1)) {
        (Some(b'f' | b'F' | b'r' | b'R' | b'b' | b'B' | b'u' | b'U'), Some(b'"' | b'\'')) => i + 1,
        _ => i,
    };
    Some(match bytes.get(i) {
        Some(&q @ (b'"' | b'\'')) => {
            let vs = i + 1;
            let mut j = vs;
            loop {
                match bytes.get(j) {
                    None | Some(b'\n' | b'\r') => break,
                    Some(&c) if c == q => break,
                    Some(b'\\') if q == b'"' => j += 2,
                    Some(_) => j += 1,
                }
            }
            (vs, j.min(bytes.len()))
        }
        Some(b'{' | b'[') | None => return None,
        Some(_) => {
            // An unquoted `Authorization` value runs to the end of the line
            // (`Digest username="a", response="…"`), or to the closing quote
            // when the whole header is quoted (`-H "Authorization: Bearer …"`).
            let rest = bytes.get(i..)?;
            // `<your api key>`: a placeholder may hold spaces.
            let placeholder = (rest.first() == Some(&b'<'))
                .then(|| rest.iter().take(64).position(|&c| c == b'>' || c == b'\n'))
                .flatten()
                .filter(|&end| rest.get(end) == Some(&b'>'))
                .filter(|&end| rest.get(..=end).is_some_and(is_reference));
            let len = if let Some(end) = placeholder {
                Some(end + 1)
            } else if kind == KeyKind::Authorization {
                let line = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
                header_quote(bytes, ks, ke)
                    .and_then(|q| closing_quote(rest.get(..line)?, q))
                    .or(Some(line))
            } else {
                rest.iter().position(|&c| {
                    c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b',' | b';' | b'&')
                })
            }
            .unwrap_or(rest.len());
            (i, i + len)
        }
    })
}

/// The quote that opens a header written as one quoted string
/// (`"Authorization: …"`, `'Proxy-Authorization: …'`): the byte before the
/// key `ks..ke`, if it is a quote and the key is not closed by the same
/// quote (`"Authorization": "…"` is a key and a quoted value).
fn header_quote(bytes: &[u8], ks: usize, ke: usize) -> Option<u8> {
    let q = prev(bytes, ks).filter(|&q| q == b'"' || q == b'\'')?;
    (bytes.get(ke) != Some(&q)).then_some(q)
}

/// The offset of the first `q` in `s` not escaped by a backslash (inside
/// double quotes only, as in shells and most languages).
fn closing_quote(s: &[u8], q: u8) -> Option<usize> {
    let mut j = 0;
    while let Some(&c) = s.get(j) {
        if c == q {
            return Some(j);
        }
        j += if c == b'\\' && q == b'"' { 2 } else { 1 };
    }
    None
}

/// Cheap test run at a candidate byte before the automaton is started there.
/// It must accept every position where a built-in pattern that starts with
/// this byte could be accepted by its validator.
pub(crate) fn precheck(bytes: &[u8], i: usize) -> bool {
    let next = bytes.get(i + 1).copied();
    let Some(&c) = bytes.get(i) else {
        return false;
    };
    match c {
        b'0'..=b'9' => match prev(bytes, i) {
            Some(p) if is_alnum(p) => iban_context(bytes, i),
            _ => numeric_run(bytes, i),
        },
        b'@' => prev(bytes, i).is_some_and(is_local_part) && next.is_some_and(is_alnum),
        b':' => {
            ipv6_context(bytes, i)
                || url_credentials_context(bytes, i)
                || assignment_context(bytes, i)
                || bytes.get(i + 1..i + 3) == Some(b"AA") && telegram_bot_id(bytes, i)
        }
        b'=' => assignment_context(bytes, i),
        b'+' => {
            next.is_some_and(|n| matches!(n, b'1'..=b'9')) && !prev(bytes, i).is_some_and(is_alnum)
        }
        b'(' => next.is_some_and(|n| n.is_ascii_digit()),
        b'-' => next == Some(b'-') && dashes_context(bytes, i),
        b'\'' => matches!(prev(bytes, i), Some(b' ' | b'\t')) && quoted_name(bytes, i).is_some(),
        _ => true,
    }
}

/// After `--` at `i`: a secret-bearing flag name that starts a word, or a
/// PEM header. Kept out of line: the flag check's key-name test would
/// otherwise enlarge [`precheck`]'s frame, which every trigger byte pays.
#[inline(never)]
fn dashes_context(bytes: &[u8], i: usize) -> bool {
    bytes.get(i + 2).is_some_and(u8::is_ascii_alphabetic)
        && !prev(bytes, i).is_some_and(|c| is_ident_byte(c) || c == b'-')
        && flag_name(bytes, i).is_some_and(|name| validate::key_kind(name).is_some())
        || bytes.get(i..).is_some_and(|r| r.starts_with(b"-----BEGIN"))
}

/// Every digit-led built-in but IPv4 (card, SSN, phone) has at least 7
/// digits within its first 12 bytes, using only digits and the separators
/// ` .-()/` (the fewest is `1 (415) 555-2671`); an IPv4 address starts with
/// a dotted quad.
fn numeric_run(bytes: &[u8], i: usize) -> bool {
    let mut digits = 0;
    for &c in bytes.iter().skip(i).take(12) {
        match c {
            b'0'..=b'9' => digits += 1,
            b' ' | b'.' | b'-' | b'(' | b')' | b'/' => {}
            _ => break,
        }
    }
    digits >= 7 || dotted_quad(bytes, i)
}

/// `d{1,3}.d{1,3}.d{1,3}.d` at `i`, the start of every IPv4 match. Decimals
/// and versions (`42.50`, `3.12`, `8.7.34`) fail here, before the automaton.
fn dotted_quad(bytes: &[u8], i: usize) -> bool {
    let mut j = i;
    for _ in 0..3 {
        let lead = bytes
            .iter()
            .skip(j)
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=3).contains(&lead) || bytes.get(j + lead) != Some(&b'.') {
            return false;
        }
        j += lead + 1;
    }
    bytes.get(j).is_some_and(u8::is_ascii_digit)
}

/// An IPv6 address has a second `:` at most 5 bytes after its first one,
/// with only hex digits between, and (as the `ipv6` validator requires) at most 4 hex
/// digits before it that do not continue a word, a number or a longer
/// `:`-list. Rust paths (`std::fs`) fail here.
fn ipv6_context(bytes: &[u8], i: usize) -> bool {
    let second = bytes
        .iter()
        .skip(i + 1)
        .take(5)
        .position(|&c| !c.is_ascii_hexdigit())
        .is_some_and(|p| bytes.get(i + 1 + p) == Some(&b':'));
    if !second {
        return false;
    }
    let mut start = i;
    while i - start < 4 && prev(bytes, start).is_some_and(|c| c.is_ascii_hexdigit()) {
        start -= 1;
    }
    !prev(bytes, start).is_some_and(|c| is_word(c) || c == b':' || c == b'.')
}

/// `://user:password@`: a `:` and then an `@` before the authority ends;
/// or a Slack or Discord webhook URL.
fn url_credentials_context(bytes: &[u8], i: usize) -> bool {
    if bytes.get(i + 1..i + 3) != Some(b"//") {
        return false;
    }
    if bytes.get(i + 3..i + 18) == Some(b"hooks.slack.com") || discord_host(bytes, i + 3) {
        return true;
    }
    let mut colon = false;
    for &c in bytes.iter().skip(i + 3).take(256) {
        match c {
            b':' => colon = true,
            b'@' => return colon,
            b'/' | b'?' | b'#' => return false,
            c if c.is_ascii_whitespace() => return false,
            _ => {}
        }
    }
    false
}

/// 8 to 10 digits right before the `:` at `colon`, not part of a longer
/// number: the bot id of a Telegram bot token.
fn telegram_bot_id(bytes: &[u8], colon: usize) -> bool {
    let digits = bytes
        .get(..colon)
        .unwrap_or_default()
        .iter()
        .rev()
        .take(11)
        .take_while(|c| c.is_ascii_digit())
        .count();
    (8..=10).contains(&digits)
}

/// `discord.com`, `discordapp.com`, or either behind `ptb.` / `canary.`,
/// at `at` (the host of a Discord webhook URL).
fn discord_host(bytes: &[u8], at: usize) -> bool {
    let host = bytes.get(at..).unwrap_or_default();
    let host = host
        .strip_prefix(b"ptb.")
        .or_else(|| host.strip_prefix(b"canary."))
        .unwrap_or(host);
    host.starts_with(b"discord.com/") || host.starts_with(b"discordapp.com/")
}

fn iban_context(bytes: &[u8], i: usize) -> bool {
    i >= 2
        && bytes.get(i - 1).is_some_and(u8::is_ascii_uppercase)
        && bytes.get(i - 2).is_some_and(u8::is_ascii_uppercase)
        && !prev(bytes, i - 2).is_some_and(is_alnum)
        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
}

fn assignment_context(bytes: &[u8], op: usize) -> bool {
    if !validate::key_may_end_secret(bytes, op) {
        return false;
    }
    validate::key_before(bytes, op)
        .and_then(|(s, e)| bytes.get(s..e))
        .and_then(validate::key_kind)
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_single_detector_has_its_name_and_sets_have_none() {
        for (i, (d, n)) in Detector::NAMES.iter().enumerate() {
            assert_eq!(d.0, 1 << i, "{n}: NAMES must be in bit order");
            assert_eq!(d.name(), Some(*n));
            assert_eq!(Detector::from_name(n), Some(*d));
        }
        assert_eq!(Detector::NONE.name(), None);
        assert_eq!((Detector::EMAIL | Detector::CARD).name(), None);
        assert_eq!(Detector::ALL.label(), "pii");
    }
}
