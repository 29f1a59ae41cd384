//! The oracle service: it attests a milestone once the carrier's tracking events satisfy the
//! condition both parties committed to on chain (the milestone's terms hash is the hash of the
//! condition document).
//!
//! - [`condition`]: the condition document (format v1), its canonical form and hash.
//! - [`dcsa`]: DCSA Track & Trace 2.2 events, and whether they satisfy a condition.
//! - [`feed`]: the tracking API client (`GET /events`).
//! - [`service`]: one pass of the service: find the milestones waiting for this oracle, check
//!   their conditions, attest.
//! - [`store`]: condition documents on disk (a directory of them, indexed by hash).

pub mod condition;
pub mod dcsa;
pub mod feed;
pub mod service;
pub mod store;
