//! One-time codes (RFC 6238) from a base32 seed (RFC 4648) or an `otpauth://totp/` URI.

use std::fmt;
use std::time::{Duration, SystemTime};

use sha1::Digest as _;

/// A code with less than this left is not typed: the next one is waited for.
pub const FRESH_FOR_AT_LEAST: Duration = Duration::from_secs(5);

/// The hash a TOTP seed is used with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TotpAlgorithm {
    /// SHA-1, the default of authenticator apps.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

/// A TOTP generator: the seed, the hash, the digits and the period. `Debug` shows no seed.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use nova_act_core::runtime::Totp;
///
/// // RFC 6238's SHA-1 test seed ("12345678901234567890"), base32, at 59 s past the epoch.
/// let totp = Totp::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
/// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(59);
/// assert_eq!(totp.code_at(at), "287082");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Totp {
    key: zeroize::Zeroizing<Vec<u8>>,
    algorithm: TotpAlgorithm,
    digits: u32,
    period: u64,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

/// Why a seed was refused; says what is wrong, never the seed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TotpError(String);

impl Totp {
    /// A base32 seed (any case; spaces and `-` ignored; padding optional), or an
    /// `otpauth://totp/…?secret=…` URI with `algorithm` (SHA1, SHA256, SHA512), `digits` (6 or 8)
    /// and `period` (seconds, positive) honoured.
    pub fn parse(text: &str) -> Result<Self, TotpError> {
        let text = text.trim();
        if text.len() >= 10 && text[..10].eq_ignore_ascii_case("otpauth://") {
            return Self::from_uri(text);
        }
        Ok(Self {
            key: base32(text)?,
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        })
    }

    fn from_uri(text: &str) -> Result<Self, TotpError> {
        let url = url::Url::parse(text)
            .map_err(|_| TotpError("the otpauth URI does not parse".into()))?;
        if url.host_str() != Some("totp") {
            return Err(TotpError(format!(
                "the otpauth URI is of type `{}`; only `totp` codes are supported",
                url.host_str().unwrap_or_default()
            )));
        }
        let mut totp = Self {
            key: zeroize::Zeroizing::new(Vec::new()),
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        };
        let mut secret = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "secret" => secret = Some(base32(&value)?),
                "algorithm" => {
                    totp.algorithm = match value.to_ascii_uppercase().as_str() {
                        "SHA1" => TotpAlgorithm::Sha1,
                        "SHA256" => TotpAlgorithm::Sha256,
                        "SHA512" => TotpAlgorithm::Sha512,
                        other => {
                            return Err(TotpError(format!(
                                "algorithm `{other}` is not SHA1, SHA256 or SHA512"
                            )));
                        }
                    }
                }
                "digits" => {
                    totp.digits = match value.as_ref() {
                        "6" => 6,
                        "8" => 8,
                        other => return Err(TotpError(format!("digits `{other}` is not 6 or 8"))),
                    }
                }
                "period" => {
                    totp.period =
                        value
                            .parse::<u64>()
                            .ok()
                            .filter(|p| *p > 0)
                            .ok_or_else(|| {
                                TotpError(format!(
                                    "period `{value}` is not a positive number of seconds"
                                ))
                            })?;
                }
                _ => {}
            }
        }
        totp.key = secret.ok_or_else(|| TotpError("the otpauth URI has no `secret`".into()))?;
        Ok(totp)
    }

    /// The code at `at`.
    pub fn code_at(&self, at: SystemTime) -> String {
        let counter = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() / self.period);
        let mac = match self.algorithm {
            TotpAlgorithm::Sha1 => hmac::<64>(&self.key, &counter.to_be_bytes(), |data| {
                sha1::Sha1::digest(data).to_vec()
            }),
            TotpAlgorithm::Sha256 => hmac::<64>(&self.key, &counter.to_be_bytes(), |data| {
                <sha2::Sha256 as sha2::Digest>::digest(data).to_vec()
            }),
            TotpAlgorithm::Sha512 => hmac::<128>(&self.key, &counter.to_be_bytes(), |data| {
                <sha2::Sha512 as sha2::Digest>::digest(data).to_vec()
            }),
        };
        // RFC 4226's dynamic truncation.
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            mac[offset] & 0x7f,
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        let code = binary % 10u32.pow(self.digits);
        format!("{code:0width$}", width = self.digits as usize)
    }

    /// The code to type at `now`, and how long to wait before typing it: none while the current
    /// code has at least [`FRESH_FOR_AT_LEAST`] left, else until the next one starts.
    pub fn code_to_type(&self, now: SystemTime) -> (String, Duration) {
        let since = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let period = Duration::from_secs(self.period);
        let into =
            Duration::from_nanos(u64::try_from(since.as_nanos() % period.as_nanos()).unwrap_or(0));
        let left = period - into;
        if left >= FRESH_FOR_AT_LEAST {
            (self.code_at(now), Duration::ZERO)
        } else {
            (self.code_at(now + left), left)
        }
    }
}

/// HMAC (RFC 2104) over `hash`, whose block is `BLOCK` bytes.
fn hmac<const BLOCK: usize>(
    key: &[u8],
    message: &[u8],
    hash: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let mut block = zeroize::Zeroizing::new([0u8; BLOCK]);
    if key.len() > BLOCK {
        let digest = hash(key);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| -> Vec<u8> { block.iter().map(|b| b ^ byte).collect() };
    let mut inner = pad(0x36);
    inner.extend_from_slice(message);
    let mut outer = pad(0x5c);
    outer.extend_from_slice(&hash(&inner));
    hash(&outer)
}

/// A base32 seed: any case, spaces and `-` ignored, padding optional.
fn base32(text: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, TotpError> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let cleaned = zeroize::Zeroizing::new(cleaned);
    if cleaned.is_empty() {
        return Err(TotpError("the seed is empty".into()));
    }
    data_encoding::BASE32_NOPAD
        .decode(cleaned.as_bytes())
        .map(zeroize::Zeroizing::new)
        .map_err(|_| {
            TotpError(
                "the seed is not base32 (letters A-Z and digits 2-7), nor an otpauth://totp/ URI"
                    .into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// RFC 6238, appendix B: the seeds are the ASCII digits repeated to the hash's size.
    #[test]
    fn rfc_6238_test_vectors() {
        let seed = |len: usize| {
            let ascii: Vec<u8> = b"1234567890".iter().copied().cycle().take(len).collect();
            data_encoding::BASE32_NOPAD.encode(&ascii)
        };
        let uri = |algorithm: &str, len: usize| {
            format!(
                "otpauth://totp/RFC:test?secret={}&algorithm={algorithm}&digits=8",
                seed(len)
            )
        };
        let cases = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        let sha1 = Totp::parse(&uri("SHA1", 20)).unwrap();
        let sha256 = Totp::parse(&uri("sha256", 32)).unwrap();
        let sha512 = Totp::parse(&uri("SHA512", 64)).unwrap();
        for (secs, one, two, five) in cases {
            assert_eq!(sha1.code_at(at(secs)), one, "SHA1 at {secs}");
            assert_eq!(sha256.code_at(at(secs)), two, "SHA256 at {secs}");
            assert_eq!(sha512.code_at(at(secs)), five, "SHA512 at {secs}");
        }
    }

    #[test]
    fn seeds_are_read_as_people_write_them() {
        let plain = Totp::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        for written in [
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
            "GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====",
        ] {
            assert_eq!(Totp::parse(written).unwrap(), plain, "{written}");
        }
        let uri = Totp::parse(
            "otpauth://totp/Shop:ada?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=60&issuer=Shop",
        )
        .unwrap();
        assert_eq!(uri.period, 60);
        for bad in [
            "",
            "not base32!",
            "otpauth://hotp/x?secret=GEZDGNBV",
            "otpauth://totp/x?secret=GEZDGNBV&digits=7",
            "otpauth://totp/x?secret=GEZDGNBV&period=0",
            "otpauth://totp/x?issuer=nobody",
        ] {
            let err = Totp::parse(bad).unwrap_err().to_string();
            assert!(!err.contains("GEZDGNBV"), "{err}");
        }
        assert!(
            !format!("{plain:?}").contains("49"),
            "no seed bytes in Debug"
        );
    }

    #[test]
    fn a_code_about_to_expire_waits_for_the_next() {
        let totp = Totp::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let (code, wait) = totp.code_to_type(at(60 + 10));
        assert_eq!((code, wait), (totp.code_at(at(60)), Duration::ZERO));
        let (code, wait) = totp.code_to_type(at(60 + 27));
        assert_eq!((code, wait), (totp.code_at(at(90)), Duration::from_secs(3)));
    }
}
