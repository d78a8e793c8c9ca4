//! The canonical approval statement, the bytes a device signs and a
//! requester checks: `ApprovalStatement::decode` accepts exactly one encoding
//! per value, so decode → encode gives back the input byte for byte; and
//! `Evidence::verify` never panics, accepting a correctly signed statement
//! exactly when it decodes, names the signing device and is for the
//! requester checking it.
#![no_main]

use akuersi_fuzz::{fixed_key, fixed_sign};
use akuersi_protocol::approval::{ApprovalStatement, Evidence, EvidenceError};
use akuersi_protocol::crypto::device_id_for;
use libfuzzer_sys::fuzz_target;
use ring::signature::KeyPair;

/// The requester checking the evidence (the seeds' statements are Demo Bank's).
const REQUESTER: &str = "demo-bank";

fuzz_target!(|data: &[u8]| {
    let decoded = ApprovalStatement::decode(data);
    if let Ok(st) = &decoded {
        assert_eq!(st.encode(), data, "decode → encode is not the identity");
        assert_eq!(ApprovalStatement::decode(&st.encode()).as_ref(), Ok(st));
    }

    // Signed by a real key over the fuzzed bytes.
    let public_key = fixed_key().public_key().as_ref().to_vec();
    let device_id = device_id_for(&public_key);
    let evidence = Evidence {
        device_id: device_id.clone(),
        device_public_key: public_key.clone(),
        statement: data.to_vec(),
        signature: fixed_sign(data),
    };
    match (evidence.verify(REQUESTER), &decoded) {
        (Ok(st), Ok(expected)) => {
            assert_eq!(&st, expected);
            assert_eq!(st.device_id, device_id);
            assert_eq!(st.requester_id, REQUESTER);
        }
        (Err(EvidenceError::Malformed(_)), Err(_)) => {}
        (Err(EvidenceError::DeviceMismatch), Ok(st)) => assert_ne!(st.device_id, device_id),
        (Err(EvidenceError::OtherRequester), Ok(st)) => {
            assert_eq!(st.device_id, device_id);
            assert_ne!(st.requester_id, REQUESTER);
        }
        (got, decoded) => panic!("verify gave {got:?} for a statement that decodes to {decoded:?}"),
    }

    // The same bytes with a forged signature, and as key and signature
    // themselves: refused, never a panic.
    let mut forged = evidence.clone();
    forged.signature = data.iter().copied().cycle().take(64).collect();
    if forged.signature != evidence.signature {
        assert!(
            forged.verify(REQUESTER).is_err(),
            "a forged signature verified"
        );
    }
    let split = data.len().min(65);
    let junk = Evidence {
        device_id: device_id_for(&data[..split]),
        device_public_key: data[..split].to_vec(),
        statement: data.to_vec(),
        signature: data[split..].iter().copied().take(64).collect(),
    };
    let _ = junk.verify(REQUESTER);
});
