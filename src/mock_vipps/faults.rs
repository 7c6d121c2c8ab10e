//! Faults a test can switch on: error statuses, slowness, garbage, forged ID tokens.

use std::collections::HashMap;
use std::time::Duration;

use super::record::Endpoint;

/// Something the mock should do wrong, until [`MockVipps::clear_faults`](super::MockVipps::clear_faults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The endpoint answers with this status and a Vipps error body in `shape`.
    Status {
        /// Which endpoint fails.
        endpoint: Endpoint,
        /// The HTTP status (an invalid code becomes 500).
        status: u16,
        /// The body's shape.
        shape: ErrorShape,
    },
    /// The endpoint waits this long before answering normally.
    Slow {
        /// Which endpoint is slow.
        endpoint: Endpoint,
        /// How long it waits.
        delay: Duration,
    },
    /// 200 with a body that is not JSON.
    Garbage {
        /// Which endpoint answers garbage.
        endpoint: Endpoint,
    },
    /// The endpoint's normal JSON answer, padded with a member of this many bytes (still a
    /// valid answer, only too large).
    Oversized {
        /// Which endpoint answers too much.
        endpoint: Endpoint,
        /// Bytes of padding.
        padding: usize,
    },
    /// The next ID tokens are forged this way.
    IdToken(IdTokenForgery),
    /// Userinfo answers with a different `sub` than the ID token.
    UserinfoSubMismatch,
    /// Userinfo leaves out `sid` (Vipps documents it there as unused).
    UserinfoWithoutSid,
}

/// The error body shapes Vipps uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{"error", "error_description"}`.
    Description,
    /// `{"error", "error_code", "error_debug"}` (Hydra style).
    Debug,
    /// `{"type", "title", "status", "detail"}` (Userinfo's problem shape).
    Problem,
}

/// Ways to forge an ID token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdTokenForgery {
    /// `nonce` differs from the one sent to authorize.
    WrongNonce,
    /// Signed by a key not in the JWKS, under the current `kid`.
    BadSignature,
    /// Signed by a fresh key whose `kid` is never published.
    UnknownKid,
    /// `iss` is the Vipps test environment's issuer.
    WrongIssuer,
    /// `aud` names another client.
    WrongAudience,
    /// `exp` ten minutes ago.
    Expired,
    /// `iat` ten minutes ahead.
    IssuedInFuture,
    /// Header `alg: none` and an empty signature.
    AlgNone,
    /// HS256, keyed with the client secret: the algorithm-confusion attack.
    Hs256WithSecret,
    /// No `nonce` claim at all.
    MissingNonce,
    /// `at_hash` is the hash of another access token.
    WrongAtHash,
    /// No `at_hash` claim (it is optional in the code flow).
    MissingAtHash,
}

impl IdTokenForgery {
    /// Whether the forgery decides how the token is signed (the last one injected wins).
    pub(super) fn is_signing(self) -> bool {
        matches!(
            self,
            Self::BadSignature | Self::UnknownKid | Self::AlgNone | Self::Hs256WithSecret
        )
    }
}

/// A fault on one endpoint.
#[derive(Clone, Debug)]
pub(super) enum EndpointFault {
    Status { status: u16, shape: ErrorShape },
    Slow(Duration),
    Garbage,
    Oversized(usize),
}

/// The active faults: at most one per endpoint, any number of ID token forgeries.
#[derive(Default)]
pub(super) struct Faults {
    endpoints: HashMap<Endpoint, EndpointFault>,
    forgeries: Vec<IdTokenForgery>,
    userinfo_sub_mismatch: bool,
    userinfo_without_sid: bool,
}

impl Faults {
    pub(super) fn inject(&mut self, fault: Fault) {
        match fault {
            Fault::Status {
                endpoint,
                status,
                shape,
            } => {
                self.endpoints
                    .insert(endpoint, EndpointFault::Status { status, shape });
            }
            Fault::Slow { endpoint, delay } => {
                self.endpoints.insert(endpoint, EndpointFault::Slow(delay));
            }
            Fault::Garbage { endpoint } => {
                self.endpoints.insert(endpoint, EndpointFault::Garbage);
            }
            Fault::Oversized { endpoint, padding } => {
                self.endpoints
                    .insert(endpoint, EndpointFault::Oversized(padding));
            }
            Fault::IdToken(forgery) => {
                self.forgeries.retain(|f| *f != forgery);
                self.forgeries.push(forgery);
            }
            Fault::UserinfoSubMismatch => self.userinfo_sub_mismatch = true,
            Fault::UserinfoWithoutSid => self.userinfo_without_sid = true,
        }
    }

    pub(super) fn endpoint(&self, endpoint: Endpoint) -> Option<EndpointFault> {
        self.endpoints.get(&endpoint).cloned()
    }

    /// Active forgeries, oldest first.
    pub(super) fn forgeries(&self) -> Vec<IdTokenForgery> {
        self.forgeries.clone()
    }

    pub(super) fn userinfo_sub_mismatch(&self) -> bool {
        self.userinfo_sub_mismatch
    }

    pub(super) fn userinfo_without_sid(&self) -> bool {
        self.userinfo_without_sid
    }
}
