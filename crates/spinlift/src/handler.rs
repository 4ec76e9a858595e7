//! The seam a migrated Lambda body plugs into: an [`ObjectEventHandler`] is called once per
//! object event the webhook (or `/lambda`) delivers; [`crate::indexer::Indexer`] is the
//! default one.

use crate::client::services::Services;
use crate::events::ObjectEvent;
use crate::outbound::HttpClient;
use std::future::Future;

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The event was applied.
    Processed,
    /// The event needs nothing done; the reason says why.
    Skipped(String),
}

/// The body of a migrated Lambda: called once per object event, in delivery order.
///
/// It must be idempotent (events are delivered at least once) and must return an error only
/// for failures worth a redelivery: the whole batch is then answered 5xx and retried.
pub trait ObjectEventHandler {
    /// What a failed event reports. The webhook takes handlers whose error becomes an HTTP
    /// answer (`Into<crate::error::ApiError>`), whose status and code it reports per record
    /// (a [`ClientError`](crate::client::ClientError) keeps its AWS code).
    type Error;

    /// Handles `event` with access to the bucket (`services.s3`) and the other AWS services
    /// (`services.aws`).
    fn handle<C: HttpClient>(
        &self,
        services: &Services<'_, C>,
        event: &ObjectEvent,
    ) -> impl Future<Output = Result<Outcome, Self::Error>>;
}
