//! Hand-built devices: a P-256 key, the id derived from it, a device secret
//! and a sequence counter, without an installation. [`HandDevice`] returns
//! errors as text (the simulator's load and bench devices use it);
//! [`RawDevice`] unwraps, as tests may, and builds every message a test needs
//! to replay, tamper and race.

use akuersi_core::transport::{call, Transport};
use akuersi_protocol::approval::{ApprovalStatement, Decision, PakeBinding};
use akuersi_protocol::crypto::{device_id_for, random_array};
use akuersi_protocol::pin::{derive_pake_secrets, Pin, MIN_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_protocol::spake2plus::{registration_record, PakeContext, PakeScalar, Prover};
use akuersi_protocol::wire::*;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use crate::{World, PIN};

/// A device built by hand, without an installation: a P-256 key, the id
/// derived from it, a device secret and a sequence counter. The bench
/// devices here, the simulator's load devices and the tests' raw devices are
/// built on it. Nothing here unwraps: signing and randomness errors come
/// back as text.
pub struct HandDevice {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    /// Its id.
    pub device_id: String,
    secret: [u8; 32],
    seq: u64,
}

impl HandDevice {
    /// A new key and device secret (not enrolled anywhere).
    pub fn new() -> Result<Self, String> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| "generating a P-256 key failed".to_owned())?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| "loading the P-256 key failed".to_owned())?;
        Ok(Self {
            device_id: device_id_for(key.public_key().as_ref()),
            key,
            rng,
            secret: random_array().map_err(|e| e.to_string())?,
            seq: 0,
        })
    }

    /// Sign `msg` with the device key (ECDSA P-256, fixed-size signature).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        self.key
            .sign(&self.rng, msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| "ECDSA signing failed".to_owned())
    }

    /// The public key (uncompressed SEC1).
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }

    /// The last sequence number used.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The SPAKE2+ secrets (w0, w1) of `pin` on this device.
    pub fn pake_secrets(
        &self,
        pin: &str,
        iterations: u32,
    ) -> Result<(PakeScalar, PakeScalar), String> {
        let pin = Pin::new(pin.into()).map_err(|e| e.to_string())?;
        Ok(derive_pake_secrets(
            &pin,
            &self.secret,
            &self.device_id,
            iterations,
        ))
    }

    /// The PIN verifier (w0, L) this device registers for `pin` at
    /// `iterations`.
    pub fn verifier(&self, pin: &str, iterations: u32) -> Result<VerifierRegistration, String> {
        let (w0, w1) = self.pake_secrets(pin, iterations)?;
        let rec = registration_record(&w0, &w1);
        Ok(VerifierRegistration {
            w0: rec.w0.to_bytes().to_vec().into(),
            l: rec.l.to_vec().into(),
            kdf_iterations: iterations,
        })
    }

    /// A signed activation message for `user_id` with `code`, registering
    /// `pin` at `iterations`; `name` is both the device's name and platform.
    pub fn activation(
        &self,
        user_id: &str,
        code: &str,
        pin: &str,
        iterations: u32,
        name: &str,
    ) -> Result<Activate, String> {
        let verifier = self.verifier(pin, iterations)?;
        self.activation_with(user_id, code, verifier, name, name)
    }

    /// A signed activation message for `user_id` with `code` (as typed),
    /// registering `verifier`, under the given device name and platform.
    pub fn activation_with(
        &self,
        user_id: &str,
        code: &str,
        verifier: VerifierRegistration,
        name: &str,
        platform: &str,
    ) -> Result<Activate, String> {
        let mut m = Activate {
            user_id: user_id.into(),
            activation_code: code.into(),
            device_id: self.device_id.clone(),
            device_public_key: self.public_key(),
            device_name: name.into(),
            platform: platform.into(),
            verifier,
            signature: vec![],
        };
        m.signature = self.sign(&m.signed_bytes())?;
        Ok(m)
    }

    /// `body` in a signed envelope with the next sequence number.
    pub fn envelope<T: SignedBody>(&mut self, body: T) -> Result<DeviceSigned<T>, String> {
        self.seq += 1;
        let signature = self.sign(&DeviceSigned::signed_bytes(
            &self.device_id,
            self.seq,
            &body,
        ))?;
        Ok(DeviceSigned {
            device_id: self.device_id.clone(),
            seq: self.seq,
            body,
            signature,
        })
    }
}

/// A device that builds every protocol message by hand (the benchmarks'
/// [`HandDevice`], unwrapping in the way tests may).
pub struct RawDevice {
    hand: HandDevice,
}

impl std::ops::Deref for RawDevice {
    type Target = HandDevice;

    fn deref(&self) -> &HandDevice {
        &self.hand
    }
}

/// Tests may forge: claim another device's id, for one.
impl std::ops::DerefMut for RawDevice {
    fn deref_mut(&mut self) -> &mut HandDevice {
        &mut self.hand
    }
}

impl RawDevice {
    /// A device with a new key and secret (not enrolled).
    pub fn new() -> Self {
        Self {
            hand: HandDevice::new().unwrap(),
        }
    }

    /// Sign bytes.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.hand.sign(msg).unwrap()
    }

    /// The activation message for `user_id`/`code` with `pin`.
    pub fn activation(&self, user_id: &str, code: &str, pin: &str) -> Activate {
        self.hand
            .activation(user_id, code, pin, MIN_KDF_ITERATIONS, "raw")
            .unwrap()
    }

    /// This device's SPAKE2+ secrets for `pin`.
    fn pake_secrets(&self, pin: &str) -> (PakeScalar, PakeScalar) {
        self.hand.pake_secrets(pin, MIN_KDF_ITERATIONS).unwrap()
    }

    /// Enroll with a fresh code (creating the identity if needed).
    pub fn enroll(world: &World, user_id: &str) -> Self {
        let _ = world.service.create_identity(user_id);
        let d = Self::new();
        world
            .service
            .activate(d.activation(user_id, &world.code(user_id), PIN))
            .unwrap();
        d
    }

    /// Enroll (as [`RawDevice::enroll`]), create a log-on request for
    /// `user_id` and fetch it: the device, the request as created and as the
    /// device got it.
    pub fn enroll_with_request(
        world: &World,
        user_id: &str,
    ) -> (Self, CreateRequestResponse, PendingRequest) {
        let mut d = Self::enroll(world, user_id);
        let created = world.request(user_id);
        let pending = d.pending(world).unwrap().requests.remove(0);
        (d, created, pending)
    }

    /// A signed envelope with the next sequence number.
    pub fn envelope<T: SignedBody>(&mut self, body: T) -> DeviceSigned<T> {
        self.hand.envelope(body).unwrap()
    }

    /// Fetch pending requests.
    pub fn pending(&mut self, world: &World) -> akuersi_core::Result<PendingResponse> {
        self.pending_via(world.tap.as_ref())
    }

    /// Run the PIN proof for `request` with `pin`. Returns the binding and the
    /// confirmP to send — even for a wrong PIN (a hostile device ignores the
    /// failed confirmV check and sends something anyway).
    pub fn pin_proof(
        &mut self,
        world: &World,
        request: &PendingRequest,
        pin: &str,
    ) -> akuersi_core::Result<(PakeBinding, PakeProof, PinStartResponse)> {
        self.request_proof(world.tap.as_ref(), request, pin)
    }

    /// The statement this device would sign for `request`.
    pub fn statement(
        &self,
        request: &PendingRequest,
        decision: Decision,
        pake: Option<PakeBinding>,
    ) -> ApprovalStatement {
        ApprovalStatement::for_request(request, decision, &self.device_id, pake, None)
    }

    /// A decide message signing `statement`.
    pub fn decide_msg(&self, statement: &ApprovalStatement, proof: Option<PakeProof>) -> Decide {
        Decide {
            device_id: self.device_id.clone(),
            request_id: statement.request_id.clone(),
            decision: statement.decision,
            pake: proof,
            channel_binding: None,
            signature: self.sign(&statement.encode()),
        }
    }

    /// Approve `request` with `pin`, end to end.
    pub fn approve(
        &mut self,
        world: &World,
        request: &PendingRequest,
        pin: &str,
    ) -> akuersi_core::Result<DecideResponse> {
        let (binding, proof, _) = self.pin_proof(world, request, pin)?;
        self.approve_with(world, request, binding, proof)
    }

    /// Approve `request` bound to the PIN session `binding`, sending `proof`
    /// (whatever session they name).
    pub fn approve_with(
        &self,
        world: &World,
        request: &PendingRequest,
        binding: PakeBinding,
        proof: PakeProof,
    ) -> akuersi_core::Result<DecideResponse> {
        let st = self.statement(request, Decision::Approve, Some(binding));
        world.send(paths::DECIDE, &self.decide_msg(&st, Some(proof)))
    }

    /// Reject or report `request`.
    pub fn decline(
        &self,
        world: &World,
        request: &PendingRequest,
        decision: Decision,
    ) -> akuersi_core::Result<DecideResponse> {
        let st = self.statement(request, decision, None);
        world.send(paths::DECIDE, &self.decide_msg(&st, None))
    }
}

impl Default for RawDevice {
    fn default() -> Self {
        Self::new()
    }
}

impl RawDevice {
    /// Sign `body` in the next envelope and send it to `path`.
    pub fn send_signed<T, R>(
        &mut self,
        t: &dyn Transport,
        path: &str,
        body: T,
    ) -> akuersi_core::Result<R>
    where
        T: SignedBody + serde::Serialize,
        R: serde::de::DeserializeOwned,
    {
        let m = self.envelope(body);
        call(t, path, &m)
    }

    /// Fetch pending requests over `t`.
    pub fn pending_via(&mut self, t: &dyn Transport) -> akuersi_core::Result<PendingResponse> {
        self.send_signed(t, paths::PENDING, PendingQuery {})
    }

    /// Start a PIN proof for `purpose` in `context` with `pin` over `t`, and
    /// finish it on the device side. Returns the binding, the confirmP to
    /// send (a made-up one when the PIN was wrong) and the service's answer.
    pub fn pin_proof_for(
        &mut self,
        t: &dyn Transport,
        purpose: PinPurpose,
        context: &[u8],
        pin: &str,
    ) -> akuersi_core::Result<(PakeBinding, PakeProof, PinStartResponse)> {
        let (w0, w1) = self.pake_secrets(pin);
        let ctx = PakeContext {
            context,
            id_prover: self.device_id.as_bytes(),
            id_verifier: PAKE_VERIFIER_ID,
        };
        let (prover, share_p) = Prover::start(&ctx, &w0, &w1);
        let started: PinStartResponse = self.send_signed(
            t,
            paths::PIN_START,
            PinStart {
                purpose,
                share_p: share_p.to_vec(),
            },
        )?;
        let confirm_p = match prover.finish(&started.share_v, &started.confirm_v) {
            Ok(f) => f.confirm_p.to_vec(),
            Err(_) => vec![0x5a; 32],
        };
        let (binding, proof) = started.binding_and_proof(&share_p, confirm_p);
        Ok((binding, proof, started))
    }

    /// [`RawDevice::pin_proof`] over any transport.
    pub fn request_proof(
        &mut self,
        t: &dyn Transport,
        request: &PendingRequest,
        pin: &str,
    ) -> akuersi_core::Result<(PakeBinding, PakeProof, PinStartResponse)> {
        let purpose = PinPurpose::Request {
            request_id: request.request_id.clone(),
        };
        let context = pake_context(&request.request_id, &request.nonce);
        self.pin_proof_for(t, purpose, &context, pin)
    }

    /// A PIN proof for an operation (add or remove a device, unfreeze, …).
    pub fn operation_proof(
        &mut self,
        t: &dyn Transport,
        purpose: PinPurpose,
        pin: &str,
    ) -> akuersi_core::Result<(PakeProof, PinStartResponse)> {
        let context = operation_pake_context(&self.device_id, &purpose);
        let (_, proof, started) = self.pin_proof_for(t, purpose, &context, pin)?;
        Ok((proof, started))
    }

    /// Approve `request` with `pin` over `t`, end to end.
    pub fn approve_via(
        &mut self,
        t: &dyn Transport,
        request: &PendingRequest,
        pin: &str,
    ) -> akuersi_core::Result<DecideResponse> {
        let (binding, proof, _) = self.request_proof(t, request, pin)?;
        let st = self.statement(request, Decision::Approve, Some(binding));
        call(t, paths::DECIDE, &self.decide_msg(&st, Some(proof)))
    }

    /// Reject or report `request` over `t`.
    pub fn decline_via(
        &self,
        t: &dyn Transport,
        request: &PendingRequest,
        decision: Decision,
    ) -> akuersi_core::Result<DecideResponse> {
        let st = self.statement(request, decision, None);
        call(t, paths::DECIDE, &self.decide_msg(&st, None))
    }

    /// Join an identity with a pairing payload's addition id and secret,
    /// choosing `pin`: the message a new device sends.
    pub fn pairing(&self, addition_id: &str, secret: &[u8], pin: &str) -> CompletePairing {
        let (w0, w1) = self.pake_secrets(pin);
        let rec = registration_record(&w0, &w1);
        let mut m = CompletePairing {
            addition_id: addition_id.into(),
            device_id: self.device_id.clone(),
            device_public_key: self.public_key(),
            device_name: "paired".into(),
            platform: "test".into(),
            verifier: VerifierRegistration {
                w0: rec.w0.to_bytes().to_vec().into(),
                l: rec.l.to_vec().into(),
                kdf_iterations: MIN_KDF_ITERATIONS,
            },
            pairing_proof: vec![],
            signature: vec![],
        };
        let bytes = m.signed_bytes();
        m.pairing_proof = pairing_proof(secret, &bytes);
        m.signature = self.sign(&bytes);
        m
    }
}
