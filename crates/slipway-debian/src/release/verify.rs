//! Checking an `InRelease` signature against the archive keyring.
//!
//! The rules are apt's (through gpgv): the file is good when at least one signature verifies
//! against a current key of the keyring, and bad when any signature by a key of the keyring fails
//! (the text was modified). Signatures by keys the keyring does not hold are ignored, as Debian
//! signs with both the release's key and the archive's automatic key and an older keyring may
//! know only one of them.

use std::time::{Duration, SystemTime};

use pgp::composed::{CleartextSignedMessage, SignedPublicKey};
use pgp::packet::Signature;
use pgp::types::{KeyDetails, VerifyingKey};

use super::{Release, ReleaseError};
use crate::keyring::Keyring;

/// The armor line every cleartext-signed file starts with.
const CLEARTEXT_HEADER: &str = "-----BEGIN PGP SIGNED MESSAGE-----";

/// Verifies an `InRelease` file against `keyring` and parses the text its signature covers.
///
/// A modified file gives [`ReleaseError::BadSignature`]; only verified text is parsed.
pub fn verify_inrelease(bytes: &[u8], keyring: &Keyring) -> Result<Release, ReleaseError> {
    let text = std::str::from_utf8(bytes).map_err(|_| bad_signature(keyring, None))?;
    let message = match CleartextSignedMessage::from_string(text) {
        Ok((message, _headers)) => message,
        // A damaged signature block in a file that starts like a signed message is tampering,
        // not a wrong URL.
        Err(source) if text.trim_start().starts_with(CLEARTEXT_HEADER) => {
            return Err(bad_signature(keyring, Some(source)));
        }
        Err(source) => return Err(ReleaseError::NotCleartext { source }),
    };
    let hashed_text = message.signed_text();
    let signer = check_signatures(message.signatures(), hashed_text.as_bytes(), keyring)?;
    // The signed text uses CRLF line ends (as hashed); deb822 wants LF.
    let text = hashed_text.replace("\r\n", "\n");
    let mut release = Release::parse(&text)?;
    release.signed_by = signer;
    Ok(release)
}

/// What checking one signature against the keyring found.
enum Outcome {
    /// A current key of the keyring verified it (its fingerprint).
    Good(String),
    /// A key of the keyring is named by the signature but it does not verify.
    Bad,
    /// Only expired or revoked keys of the keyring match it.
    Expired(String),
    /// No key of the keyring is named by the signature.
    Unknown,
}

/// Applies the rules in the module comment; returns the fingerprint of a key that verified.
fn check_signatures(
    signatures: &[Signature],
    signed: &[u8],
    keyring: &Keyring,
) -> Result<String, ReleaseError> {
    let now = SystemTime::now();
    let mut good = None;
    let mut expired = None;
    for signature in signatures {
        match check_one(signature, signed, keyring, now) {
            Outcome::Good(fingerprint) => good = good.or(Some(fingerprint)),
            // The OpenPGP error ("invalid signed hash value") adds nothing a user can act on.
            Outcome::Bad => return Err(bad_signature(keyring, None)),
            Outcome::Expired(fingerprint) => expired = expired.or(Some(fingerprint)),
            Outcome::Unknown => {}
        }
    }
    if let Some(fingerprint) = good {
        return Ok(fingerprint);
    }
    if let Some(key) = expired {
        return Err(ReleaseError::ExpiredKey { key });
    }
    if signatures.is_empty() {
        return Err(bad_signature(keyring, None));
    }
    Err(ReleaseError::UnknownSigner {
        issuers: issuers(signatures),
        keyring: keyring.origin().display().to_string(),
    })
}

/// Checks one signature against every key and subkey of the keyring that it names.
fn check_one(signature: &Signature, signed: &[u8], keyring: &Keyring, now: SystemTime) -> Outcome {
    let mut outcome = Outcome::Unknown;
    for key in keyring.keys() {
        let fingerprint = || format!("{:X}", key.fingerprint());
        let primary_expired = key_expired(key, now);
        if let Some(found) = try_key(
            signature,
            signed,
            &key.primary_key,
            primary_expired,
            fingerprint,
        ) {
            match found {
                Outcome::Expired(_) => outcome = found,
                decided => return decided,
            }
        }
        for subkey in &key.public_subkeys {
            let expired = primary_expired || subkey_expired(&subkey.key, &subkey.signatures, now);
            if let Some(found) = try_key(signature, signed, &subkey.key, expired, fingerprint) {
                match found {
                    Outcome::Expired(_) => outcome = found,
                    decided => return decided,
                }
            }
        }
    }
    outcome
}

/// Verifies `signature` with `key` when the signature names it; `None` when it does not.
fn try_key<K: VerifyingKey>(
    signature: &Signature,
    signed: &[u8],
    key: &K,
    expired: bool,
    fingerprint: impl Fn() -> String,
) -> Option<Outcome> {
    if !names_key(signature, key) {
        return None;
    }
    Some(match signature.verify(key, signed) {
        Ok(()) if expired => Outcome::Expired(fingerprint()),
        Ok(()) => Outcome::Good(fingerprint()),
        Err(_) => Outcome::Bad,
    })
}

/// Whether the signature's issuer subpackets name this key.
fn names_key(signature: &Signature, key: &impl KeyDetails) -> bool {
    let key_id = key.legacy_key_id();
    let fingerprint = key.fingerprint();
    signature
        .issuer_key_id()
        .into_iter()
        .any(|id| *id == key_id)
        || signature
            .issuer_fingerprint()
            .into_iter()
            .any(|fp| *fp == fingerprint)
}

/// Whether a primary key was revoked or its newest self-signature lets it expire before `now`.
fn key_expired(key: &SignedPublicKey, now: SystemTime) -> bool {
    if !key.details.revocation_signatures.is_empty() {
        return true;
    }
    let newest = key
        .details
        .users
        .iter()
        .flat_map(|user| &user.signatures)
        .chain(&key.details.direct_signatures)
        .max_by_key(|signature| signature.created().map(pgp::types::Timestamp::as_secs));
    newest.is_some_and(|signature| expired_by(signature, key.primary_key.created_at(), now))
}

/// Whether a subkey was revoked or its newest binding lets it expire before `now`.
fn subkey_expired(key: &impl KeyDetails, bindings: &[Signature], now: SystemTime) -> bool {
    if bindings
        .iter()
        .any(|binding| binding.typ() == Some(pgp::packet::SignatureType::SubkeyRevocation))
    {
        return true;
    }
    let newest = bindings
        .iter()
        .max_by_key(|signature| signature.created().map(pgp::types::Timestamp::as_secs));
    newest.is_some_and(|signature| expired_by(signature, key.created_at(), now))
}

/// Whether a self-signature's key expiration time (counted from the key's creation) has passed.
fn expired_by(signature: &Signature, created: pgp::types::Timestamp, now: SystemTime) -> bool {
    match signature.key_expiration_time() {
        Some(lifetime) if lifetime.as_secs() > 0 => {
            let created = SystemTime::from(created);
            created + Duration::from(lifetime) < now
        }
        _ => false,
    }
}

/// The issuers the signatures name, for the unknown-signer message.
fn issuers(signatures: &[Signature]) -> String {
    let mut names: Vec<String> = signatures
        .iter()
        .flat_map(|signature| {
            let fingerprints = signature
                .issuer_fingerprint()
                .into_iter()
                .map(|fp| format!("{fp:X}"));
            let ids = signature
                .issuer_key_id()
                .into_iter()
                .map(|id| hex::encode_upper(id.as_ref()));
            fingerprints.chain(ids)
        })
        .collect();
    names.dedup();
    if names.is_empty() {
        "(unnamed)".to_owned()
    } else {
        names.join(", ")
    }
}

/// The bad-signature error for this keyring.
fn bad_signature(keyring: &Keyring, source: Option<pgp::errors::Error>) -> ReleaseError {
    ReleaseError::BadSignature {
        keyring: keyring.origin().display().to_string(),
        source,
    }
}
