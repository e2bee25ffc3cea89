//! A throw-away `OpenPGP` signing key, so that signature checks are tested offline.

use std::path::Path;

use pgp::composed::{
    ArmorOptions, CleartextSignedMessage, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
    SignedSecretKey,
};
use pgp::types::Password;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::keyring::Keyring;

/// An Ed25519 key made from a seed (so each test gets the same key), and its keyring.
pub(crate) struct TestKey {
    secret: SignedSecretKey,
}

impl TestKey {
    /// Generates the key for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut params = SecretKeyParamsBuilder::default();
        params
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id("slipway test archive key <test@example.invalid>".into());
        let secret = params
            .build()
            .expect("key params")
            .generate(&mut rng)
            .expect("generate key");
        Self { secret }
    }

    /// A keyring holding only this key's public half.
    pub(crate) fn keyring(&self) -> Keyring {
        let public = SignedPublicKey::from(self.secret.clone());
        Keyring::from_keys(vec![public], Path::new("test-keyring.gpg")).expect("keyring")
    }

    /// `text` as an `InRelease` file: cleartext-signed with this key.
    pub(crate) fn sign(&self, text: &str) -> String {
        let rng = StdRng::seed_from_u64(7);
        let message =
            CleartextSignedMessage::sign(rng, text, &self.secret.primary_key, &Password::empty())
                .expect("sign");
        message
            .to_armored_string(ArmorOptions::default())
            .expect("armor")
    }
}
