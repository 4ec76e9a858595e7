//! spinlift's built-in routes: `/healthz`, the object API, and the webhook's event handler.

use super::request::outbound;
use super::{App, ErasedContext};
use crate::body::Body;
use crate::cache::Cache;
use crate::client::aws::AwsCall;
use crate::client::credentials;
use crate::client::s3::S3Call;
use crate::client::services::Services;
use crate::config;
use crate::config::Variables;
use crate::error::ApiError;
use crate::handler::ObjectEventHandler;
use crate::outbound::Erased;
use crate::retry::CallStats;
use crate::retry::Resilient;
use crate::router::{ObjectMethod, Route, UploadMethod};
use crate::routes::{events, lambda};
use crate::routes::{health, objects, presign, uploads};
use crate::sigv4::Signer;
use http::{HeaderMap, Response};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// Runs a built-in route whose caller is settled (checked, or carried by an invocation event).
pub(super) async fn run(
    app: &App,
    route: Route<'_>,
    parts: &http::request::Parts,
    body: Body,
    cx: &ErasedContext<'_>,
    stats: &CallStats,
) -> Result<Response<Body>, ApiError> {
    let vars = cx.vars;
    match route {
        Route::Health => Ok(health::healthz()),
        Route::DeepHealth => {
            let (client, clock) = outbound(cx, stats)?;
            let client = &client;
            let resolved = credentials::resolve(vars, client, cx.cache, &clock).await?;
            let signer = Signer::new(resolved.credentials);
            let sts = AwsCall::new(vars, client, signer, resolved.aws.region, &clock);
            health::deep(&sts).await
        }
        // Only `App::dispatch` unwraps invocation events.
        Route::Lambda | Route::NotFound => Err(ApiError::NotFound),
        Route::Events => {
            let Some(source) = &app.events else {
                return Err(ApiError::NotFound);
            };
            let (client, clock) = outbound(cx, stats)?;
            let services = Services::load(vars, &client, cx.cache, &clock).await?;
            let handler = source(vars)?;
            handler
                .deliver(&services, vars, cx.cache, &parts.headers, body)
                .await
        }
        Route::ListObjects
        | Route::Presign
        | Route::PresignPost
        | Route::CopyObject(_)
        | Route::Object(..)
        | Route::CreateUpload
        | Route::Upload(..)
        | Route::SignParts(_)
        | Route::CompleteUpload(_) => match app.object_api {
            Some(object_api) => object_api(route, parts, body, cx, stats).await,
            None => Err(ApiError::NotFound),
        },
        Route::WrongMethod(resource) => Err(resource.allow().map_or(ApiError::NotFound, |allow| {
            ApiError::MethodNotAllowed(allow.into())
        })),
    }
}

/// An answer to come, of a built-in reached through a function pointer.
type Answer<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + 'a>>;

/// Runs the object API's routes: what [`App::object_api`] mounts.
pub(super) type Runner = for<'a> fn(
    Route<'a>,
    &'a http::request::Parts,
    Body,
    &'a ErasedContext<'a>,
    &'a CallStats,
) -> Answer<'a>;

/// Answers `POST /lambda`: what [`App::lambda`] mounts.
pub(super) type LambdaRunner =
    for<'a> fn(&'a App, Body, &'a ErasedContext<'a>, &'a CallStats) -> Answer<'a>;

/// `POST /lambda`: the event unwrapped, what it carries routed through the app.
pub(super) fn run_lambda<'a>(
    app: &'a App,
    body: Body,
    cx: &'a ErasedContext<'a>,
    stats: &'a CallStats,
) -> Answer<'a> {
    Box::pin(async move {
        let base_paths = config::lambda_base_paths(cx.vars)?;
        lambda::invoke(body, cx.env, &base_paths, move |inner| {
            app.forwarded(inner, cx, stats)
        })
        .await
    })
}

/// The object API: `/objects`, `/objects/{key}`, `/objects/{key}/copy`, `/presign`,
/// `/presign/post`, `/uploads` and below.
pub(super) fn run_object_api<'a>(
    route: Route<'a>,
    parts: &'a http::request::Parts,
    body: Body,
    cx: &'a ErasedContext<'a>,
    stats: &'a CallStats,
) -> Answer<'a> {
    Box::pin(async move {
        let vars = cx.vars;
        match route {
            Route::ListObjects => {
                let (client, clock) = outbound(cx, stats)?;
                let s3 = S3Call::load(vars, &client, cx.cache, &clock).await?;
                objects::list(&s3, parts.uri.query()).await
            }
            Route::Presign => {
                let (client, clock) = outbound(cx, stats)?;
                presign::presign(&S3Call::load(vars, &client, cx.cache, &clock).await?, body).await
            }
            Route::PresignPost => {
                let (client, clock) = outbound(cx, stats)?;
                let s3 = S3Call::load(vars, &client, cx.cache, &clock).await?;
                presign::post_form(&s3, body).await
            }
            Route::CreateUpload
            | Route::Upload(..)
            | Route::SignParts(_)
            | Route::CompleteUpload(_) => {
                let (client, clock) = outbound(cx, stats)?;
                let s3 = S3Call::load(vars, &client, cx.cache, &clock).await?;
                match route {
                    Route::CreateUpload => uploads::create(&s3, body).await,
                    Route::Upload(UploadMethod::Status, id) => {
                        uploads::status(&s3, id, parts.uri.query()).await
                    }
                    Route::Upload(UploadMethod::Abort, id) => uploads::abort(&s3, id).await,
                    Route::SignParts(id) => uploads::sign_parts(&s3, id, body).await,
                    Route::CompleteUpload(id) => {
                        uploads::complete(&s3, id, &parts.headers, body).await
                    }
                    _ => Err(ApiError::NotFound),
                }
            }
            Route::CopyObject(source) => {
                let source = objects::parse_key(source)?;
                let (client, clock) = outbound(cx, stats)?;
                let s3 = S3Call::load(vars, &client, cx.cache, &clock).await?;
                let threshold = config::copy_threshold(vars)?;
                objects::copy(&s3, &source, &parts.headers, body, threshold).await
            }
            Route::Object(method, raw_key) => {
                let key = objects::parse_key(raw_key)?;
                let (client, clock) = outbound(cx, stats)?;
                let s3 = S3Call::load(vars, &client, cx.cache, &clock).await?;
                match method {
                    ObjectMethod::Get => {
                        let redirect = presign::wants_redirect(parts.uri.query())
                            || match config::redirect_threshold(vars)? {
                                Some(limit) => presign::larger_than(&s3, &key, limit).await?,
                                None => false,
                            };
                        match redirect {
                            true => presign::redirect(&s3, &key).await,
                            false => objects::get(&s3, &key, &parts.headers).await,
                        }
                    }
                    ObjectMethod::Head => objects::head(&s3, &key, &parts.headers).await,
                    ObjectMethod::Put => {
                        let threshold = config::multipart_threshold(vars)?;
                        objects::put(&s3, &key, &parts.headers, body, threshold).await
                    }
                    ObjectMethod::Delete => objects::delete(&s3, &key, &parts.headers).await,
                }
            }
            _ => Err(ApiError::NotFound),
        }
    })
}

/// An event handler behind the webhook, type-erased.
pub(super) trait DynEvents {
    fn deliver<'a>(
        &'a self,
        services: &'a Services<'a, Resilient<'a, Erased<'a>>>,
        vars: &'a dyn Variables,
        cache: &'a dyn Cache,
        headers: &'a HeaderMap,
        body: Body,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + 'a>>;
}

impl<H> DynEvents for Rc<H>
where
    H: ObjectEventHandler<Error: Into<ApiError>>,
{
    fn deliver<'a>(
        &'a self,
        services: &'a Services<'a, Resilient<'a, Erased<'a>>>,
        vars: &'a dyn Variables,
        cache: &'a dyn Cache,
        headers: &'a HeaderMap,
        body: Body,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + 'a>> {
        Box::pin(events::deliver(
            services, &**self, vars, cache, headers, body,
        ))
    }
}
