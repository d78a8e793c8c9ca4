//! ECDSA P-256/SHA-256 verification (`core::crypto::verify_p256`, fixed-width
//! r ‖ s signatures) against Project Wycheproof's IEEE P1363 test vectors:
//! every valid signature verifies and every invalid one — r or s out of range,
//! zero, overflowed, modified, wrongly sized, points at infinity, duplication
//! bugs — is refused. The vector file and its provenance: tests/vectors/.

use std::collections::BTreeSet;

use akuersi_protocol::crypto::verify_p256;
use serde::Deserialize;

const VECTORS: &str = include_str!("../../vectors/ecdsa_secp256r1_sha256_p1363_test.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    algorithm: String,
    number_of_tests: usize,
    test_groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    #[serde(rename = "type")]
    kind: String,
    public_key: PublicKey,
    sha: String,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct PublicKey {
    curve: String,
    uncompressed: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    tc_id: u32,
    comment: String,
    flags: Vec<String>,
    msg: String,
    sig: String,
    result: String,
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn load() -> File {
    let file: File = serde_json::from_str(VECTORS).expect("the vector file parses");
    assert_eq!(file.algorithm, "ECDSA");
    file
}

#[test]
fn every_wycheproof_vector_gets_its_expected_result() {
    let file = load();
    let mut seen = 0;
    let mut failures = Vec::new();
    for group in &file.test_groups {
        assert_eq!(group.kind, "EcdsaP1363Verify");
        assert_eq!(group.public_key.curve, "secp256r1");
        assert_eq!(group.sha, "SHA-256");
        let key = unhex(&group.public_key.uncompressed);
        for case in &group.tests {
            seen += 1;
            let accepted = verify_p256(&key, &unhex(&case.msg), &unhex(&case.sig)).is_ok();
            let expected = match case.result.as_str() {
                "valid" => true,
                "invalid" => false,
                other => panic!("tcId {}: unexpected result {other:?}", case.tc_id),
            };
            if accepted != expected {
                failures.push(format!(
                    "tcId {} ({}; {:?}): expected {}, got {}",
                    case.tc_id,
                    case.comment,
                    case.flags,
                    case.result,
                    if accepted { "accepted" } else { "refused" }
                ));
            }
        }
    }
    assert_eq!(seen, file.number_of_tests, "numberOfTests matches the file");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_subset_covers_every_flag_category_and_both_results() {
    let file = load();
    let cases: Vec<&Case> = file.test_groups.iter().flat_map(|g| &g.tests).collect();
    let flags: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.flags.iter().map(String::as_str))
        .collect();
    // Every category of the upstream ecdsa_secp256r1_sha256_p1363_test.json.
    for category in [
        "ArithmeticError",
        "EdgeCasePublicKey",
        "EdgeCaseShamirMultiplication",
        "IntegerOverflow",
        "InvalidSignature",
        "ModifiedInteger",
        "ModularInverse",
        "PointDuplication",
        "RangeCheck",
        "SignatureSize",
        "SmallRandS",
        "SpecialCaseHash",
        "ValidSignature",
    ] {
        assert!(flags.contains(category), "no vector flagged {category}");
    }
    let valid = cases.iter().filter(|c| c.result == "valid").count();
    let invalid = cases.iter().filter(|c| c.result == "invalid").count();
    // All 83 invalid vectors of the upstream file are kept.
    assert_eq!(invalid, 83);
    assert!(valid >= 50, "only {valid} valid vectors");
    let ids: BTreeSet<u32> = cases.iter().map(|c| c.tc_id).collect();
    assert_eq!(ids.len(), cases.len(), "test ids are unique");
}

#[test]
fn a_valid_vector_fails_once_anything_changes() {
    // The harness itself must be able to refuse: flip one bit of the
    // signature, the message or the key of tcId 1.
    let file = load();
    let group = &file.test_groups[0];
    let case = &group.tests[0];
    assert_eq!((case.tc_id, case.result.as_str()), (1, "valid"));
    let key = unhex(&group.public_key.uncompressed);
    let msg = unhex(&case.msg);
    let sig = unhex(&case.sig);
    assert!(verify_p256(&key, &msg, &sig).is_ok());
    for i in 0..sig.len() {
        let mut s = sig.clone();
        s[i] ^= 0x01;
        assert!(verify_p256(&key, &msg, &s).is_err(), "signature byte {i}");
    }
    let mut m = msg.clone();
    m[0] ^= 0x01;
    assert!(verify_p256(&key, &m, &sig).is_err());
    let mut k = key.clone();
    k[64] ^= 0x01;
    assert!(verify_p256(&k, &msg, &sig).is_err());
    // A compressed key (0x02/0x03 prefix) is refused by the 65-byte rule.
    let mut compressed = vec![2 + (key[64] & 1)];
    compressed.extend_from_slice(&key[1..33]);
    assert!(verify_p256(&compressed, &msg, &sig).is_err());
}
