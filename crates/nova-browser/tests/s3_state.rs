//! Browser state in S3 (feature `s3`), against the emulator's S3: written with SSE-KMS, read
//! back, signed as S3 requires, and a refused write names the permission.
#![cfg(feature = "s3")]

use nova_browser::{BrowserState, S3StateStore, StateStore};
use nova_emulator::{Emulator, Policy, generate_access_key};

fn state() -> BrowserState {
    serde_json::from_value(serde_json::json!({
        "cookies": [{"name": "session", "value": "s3cr3t", "domain": "shop.example", "path": "/",
                     "expires": -1, "httpOnly": true, "secure": true, "sameSite": "Lax"}],
        "origins": [{"origin": "https://shop.example", "localStorage": [{"name": "theme", "value": "dark"}]}]
    }))
    .unwrap()
}

#[tokio::test]
async fn state_round_trips_through_s3_encrypted_with_kms() {
    let emulator = Emulator::builder().record_requests().start().await.unwrap();
    let store = S3StateStore::new(
        emulator.access_key().credentials(),
        emulator.region(),
        "team-bucket",
        "nova-act/shop.json",
    )
    .kms_key("alias/nova-state")
    .endpoint_url(emulator.url());
    assert_eq!(store.load().await.unwrap(), None, "nothing saved yet");
    store.save(&state()).await.unwrap();
    assert_eq!(store.load().await.unwrap(), Some(state()));
    let put = emulator
        .recorded()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(put.path, "/team-bucket/nova-act/shop.json");
    assert!(!format!("{store:?}").contains("s3cr3t"));

    // Only reads allowed: the write is refused, naming what is missing.
    let reader = generate_access_key();
    let read_only = Policy::from_json(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team-bucket/*"}]}"#,
    )
    .unwrap();
    let emulator = Emulator::builder()
        .access_key(reader.clone())
        .policy(reader.access_key_id.clone(), read_only)
        .start()
        .await
        .unwrap();
    let store = S3StateStore::new(
        reader.credentials(),
        emulator.region(),
        "team-bucket",
        "k.json",
    )
    .endpoint_url(emulator.url());
    let err = store.save(&state()).await.unwrap_err().to_string();
    assert!(
        err.contains("needs s3:PutObject on arn:aws:s3:::team-bucket/k.json"),
        "{err}"
    );
}
