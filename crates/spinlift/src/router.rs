//! The route table: a request's method, path and query parsed into a [`Route`] value, without
//! IO or configuration (as mini-redis parses a frame into a `Command`). The app then checks
//! the credentials the route asks for ([`Route::access`]) and runs it; the log line's label
//! and a 405's `Allow` come from the same value, so there is no second copy of the table.

use http::Method;

/// The resources spinlift serves: what a path names, whatever the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `/healthz`.
    Health,
    /// `/lambda`.
    Lambda,
    /// `/events/s3`.
    Events,
    /// `/objects`.
    Objects,
    /// `/presign`.
    Presign,
    /// `/presign/post`.
    PresignPost,
    /// `/objects/{key}`.
    Object,
    /// `/objects/{key}/copy`.
    ObjectCopy,
    /// `/uploads`.
    Uploads,
    /// `/uploads/{id}`.
    Upload,
    /// `/uploads/{id}/parts`.
    UploadParts,
    /// `/uploads/{id}/complete`.
    UploadComplete,
}

impl Resource {
    /// The path pattern, for the log line: never a key (the client's data) or a query (which
    /// may hold a presigned signature).
    pub fn label(self) -> &'static str {
        match self {
            Resource::Health => "/healthz",
            Resource::Lambda => "/lambda",
            Resource::Events => "/events/s3",
            Resource::Objects => "/objects",
            Resource::Presign => "/presign",
            Resource::PresignPost => "/presign/post",
            Resource::Object => "/objects/{key}",
            Resource::ObjectCopy => "/objects/{key}/copy",
            Resource::Uploads => "/uploads",
            Resource::Upload => "/uploads/{id}",
            Resource::UploadParts => "/uploads/{id}/parts",
            Resource::UploadComplete => "/uploads/{id}/complete",
        }
    }

    /// The methods the resource takes, as a 405's `Allow` says them; `None` when another
    /// method is answered 404 instead (`/healthz` is only ever probed with GET or HEAD).
    pub fn allow(self) -> Option<&'static str> {
        match self {
            Resource::Health => None,
            Resource::Objects => Some("GET, HEAD"),
            Resource::Object => Some("GET, HEAD, PUT, DELETE"),
            Resource::Upload => Some("GET, HEAD, DELETE"),
            Resource::Lambda
            | Resource::Events
            | Resource::Presign
            | Resource::PresignPost
            | Resource::ObjectCopy
            | Resource::Uploads
            | Resource::UploadParts
            | Resource::UploadComplete => Some("POST"),
        }
    }
}

/// What a caller must show before a route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Nothing: the liveness probe.
    Public,
    /// The webhook secret (`webhook_token`), as Bearer or `?token=`: event senders never
    /// need the API token.
    Webhook,
    /// `Authorization: Bearer <api_token>`; unknown paths too, so that a probe without it
    /// cannot map the API.
    Api,
}

/// The object operations of `/objects/{key}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectMethod {
    /// Read the bytes.
    Get,
    /// Read the metadata.
    Head,
    /// Store.
    Put,
    /// Remove.
    Delete,
}

/// The operations of `/uploads/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMethod {
    /// The parts S3 holds, URLs for the missing ones.
    Status,
    /// Abort.
    Abort,
}

/// One request's route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /healthz`: alive, reading nothing.
    Health,
    /// `GET /healthz?deep=1`: the credentials work, as STS sees them.
    DeepHealth,
    /// `POST /lambda`: a Lambda invocation event.
    Lambda,
    /// `POST /events/s3`: an event delivery.
    Events,
    /// `GET /objects`: a listing.
    ListObjects,
    /// `POST /presign`: a presigned URL.
    Presign,
    /// `POST /presign/post`: a signed browser upload form.
    PresignPost,
    /// An object operation on the key as it appears in the path (still percent-encoded).
    Object(ObjectMethod, &'a str),
    /// `POST /objects/{key}/copy`, the source key as it appears in the path.
    CopyObject(&'a str),
    /// `POST /uploads`: a presigned multipart upload.
    CreateUpload,
    /// An operation on the upload the id names.
    Upload(UploadMethod, &'a str),
    /// `POST /uploads/{id}/parts`: URLs for the parts named, signed with their checksums.
    SignParts(&'a str),
    /// `POST /uploads/{id}/complete`.
    CompleteUpload(&'a str),
    /// A resource asked with a method it does not take.
    WrongMethod(Resource),
    /// No such resource.
    NotFound,
}

impl<'a> Route<'a> {
    /// Parses `method`, `path` and `query`. Paths match exactly (`/healthz/` is not
    /// `/healthz`); under `/objects/`, POST means copy and every other method names the key.
    pub fn parse(method: &Method, path: &'a str, query: Option<&str>) -> Self {
        let resource = match path {
            "/healthz" => Resource::Health,
            "/lambda" => Resource::Lambda,
            "/events/s3" => Resource::Events,
            "/objects" => Resource::Objects,
            "/presign" => Resource::Presign,
            "/presign/post" => Resource::PresignPost,
            "/uploads" => Resource::Uploads,
            _ => {
                if let Some(rest) = path.strip_prefix("/objects/") {
                    return Self::object(method, rest);
                }
                return match path.strip_prefix("/uploads/") {
                    Some(rest) => Self::upload(method, rest),
                    None => Route::NotFound,
                };
            }
        };
        let deep = query_flag(query, "deep");
        // Every GET resource answers HEAD too (RFC 9110, 9.1): the same head, no body.
        let get = matches!(*method, Method::GET | Method::HEAD);
        match (resource, method) {
            (Resource::Health, _) if get && deep => Route::DeepHealth,
            (Resource::Health, _) if get => Route::Health,
            (Resource::Lambda, &Method::POST) => Route::Lambda,
            (Resource::Events, &Method::POST) => Route::Events,
            (Resource::Objects, _) if get => Route::ListObjects,
            (Resource::Presign, &Method::POST) => Route::Presign,
            (Resource::PresignPost, &Method::POST) => Route::PresignPost,
            (Resource::Uploads, &Method::POST) => Route::CreateUpload,
            (resource, _) => Route::WrongMethod(resource),
        }
    }

    fn object(method: &Method, rest: &'a str) -> Self {
        let operation = match *method {
            Method::GET => ObjectMethod::Get,
            Method::HEAD => ObjectMethod::Head,
            Method::PUT => ObjectMethod::Put,
            Method::DELETE => ObjectMethod::Delete,
            Method::POST => {
                return match rest.strip_suffix("/copy") {
                    Some(source) => Route::CopyObject(source),
                    None => Route::WrongMethod(Resource::Object),
                }
            }
            _ => return Route::WrongMethod(Resource::Object),
        };
        Route::Object(operation, rest)
    }

    /// An upload id has no `/`: `{id}/parts` and `{id}/complete` are the deeper paths.
    fn upload(method: &Method, rest: &'a str) -> Self {
        if let Some(id) = rest.strip_suffix("/parts").filter(|id| !id.contains('/')) {
            return match *method {
                Method::POST => Route::SignParts(id),
                _ => Route::WrongMethod(Resource::UploadParts),
            };
        }
        if let Some(id) = rest
            .strip_suffix("/complete")
            .filter(|id| !id.contains('/'))
        {
            return match *method {
                Method::POST => Route::CompleteUpload(id),
                _ => Route::WrongMethod(Resource::UploadComplete),
            };
        }
        if rest.is_empty() || rest.contains('/') {
            return Route::NotFound;
        }
        match *method {
            Method::GET | Method::HEAD => Route::Upload(UploadMethod::Status, rest),
            Method::DELETE => Route::Upload(UploadMethod::Abort, rest),
            _ => Route::WrongMethod(Resource::Upload),
        }
    }

    /// The resource the route is on; `None` for an unknown path.
    pub fn resource(&self) -> Option<Resource> {
        Some(match self {
            Route::Health | Route::DeepHealth => Resource::Health,
            Route::Lambda => Resource::Lambda,
            Route::Events => Resource::Events,
            Route::ListObjects => Resource::Objects,
            Route::Presign => Resource::Presign,
            Route::PresignPost => Resource::PresignPost,
            Route::Object(..) => Resource::Object,
            Route::CopyObject(_) => Resource::ObjectCopy,
            Route::CreateUpload => Resource::Uploads,
            Route::Upload(..) => Resource::Upload,
            Route::SignParts(_) => Resource::UploadParts,
            Route::CompleteUpload(_) => Resource::UploadComplete,
            Route::WrongMethod(resource) => *resource,
            Route::NotFound => return None,
        })
    }

    /// The log line's route label (`other` for an unknown path).
    pub fn label(&self) -> &'static str {
        self.resource().map_or("other", Resource::label)
    }

    /// The credentials the route asks of a direct caller.
    pub fn access(&self) -> Access {
        match self {
            Route::Health => Access::Public,
            Route::Events | Route::WrongMethod(Resource::Events) => Access::Webhook,
            _ => Access::Api,
        }
    }
}

/// Whether the query string sets the flag `name` (`?deep=1`, `?redirect=1`): on with `1`
/// only, so `deep=10` or `deep=true` is off rather than a guess.
pub fn query_flag(query: Option<&str>, name: &str) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.strip_prefix(name).and_then(|v| v.strip_prefix('=')) == Some("1"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: &str, path: &'static str) -> Route<'static> {
        let (path, query) = path
            .split_once('?')
            .map_or((path, None), |(p, q)| (p, Some(q)));
        Route::parse(&method.parse().unwrap(), path, query)
    }

    #[test]
    fn a_query_flag_is_on_only_as_name_equals_one() {
        assert!(query_flag(Some("redirect=1"), "redirect"));
        assert!(query_flag(Some("a=b&redirect=1&c"), "redirect"));
        for off in [
            "redirect=0",
            "redirect=10",
            "redirect",
            "xredirect=1",
            "redirect=true",
        ] {
            assert!(!query_flag(Some(off), "redirect"), "{off}");
        }
        assert!(!query_flag(None, "redirect"));
    }

    #[test]
    fn every_route_parses_from_method_and_path() {
        use ObjectMethod::*;
        let cases = [
            ("GET", "/healthz", Route::Health),
            ("GET", "/healthz?probe=1&deep=1", Route::DeepHealth),
            ("GET", "/healthz?deep=10", Route::Health),
            ("HEAD", "/healthz", Route::Health),
            ("HEAD", "/objects", Route::ListObjects),
            (
                "HEAD",
                "/uploads/abc",
                Route::Upload(UploadMethod::Status, "abc"),
            ),
            ("POST", "/lambda", Route::Lambda),
            ("POST", "/events/s3?token=t", Route::Events),
            ("GET", "/objects?prefix=a", Route::ListObjects),
            ("POST", "/presign", Route::Presign),
            ("POST", "/presign/post", Route::PresignPost),
            (
                "GET",
                "/presign/post",
                Route::WrongMethod(Resource::PresignPost),
            ),
            ("GET", "/objects/a%20b/c", Route::Object(Get, "a%20b/c")),
            ("HEAD", "/objects/k", Route::Object(Head, "k")),
            ("PUT", "/objects/k/copy", Route::Object(Put, "k/copy")),
            ("DELETE", "/objects/", Route::Object(Delete, "")),
            ("POST", "/objects/a/b/copy", Route::CopyObject("a/b")),
            ("POST", "/uploads", Route::CreateUpload),
            ("GET", "/uploads", Route::WrongMethod(Resource::Uploads)),
            (
                "GET",
                "/uploads/abc",
                Route::Upload(UploadMethod::Status, "abc"),
            ),
            (
                "DELETE",
                "/uploads/abc",
                Route::Upload(UploadMethod::Abort, "abc"),
            ),
            ("PUT", "/uploads/abc", Route::WrongMethod(Resource::Upload)),
            (
                "POST",
                "/uploads/abc/complete",
                Route::CompleteUpload("abc"),
            ),
            ("POST", "/uploads/abc/parts", Route::SignParts("abc")),
            (
                "GET",
                "/uploads/abc/parts",
                Route::WrongMethod(Resource::UploadParts),
            ),
            ("POST", "/uploads/a/b/parts", Route::NotFound),
            (
                "GET",
                "/uploads/abc/complete",
                Route::WrongMethod(Resource::UploadComplete),
            ),
            ("GET", "/uploads/", Route::NotFound),
            ("GET", "/uploads/a/b", Route::NotFound),
            ("POST", "/uploads/a/b/complete", Route::NotFound),
            ("POST", "/objects/k", Route::WrongMethod(Resource::Object)),
            ("PATCH", "/objects/k", Route::WrongMethod(Resource::Object)),
            ("PUT", "/objects", Route::WrongMethod(Resource::Objects)),
            ("GET", "/lambda", Route::WrongMethod(Resource::Lambda)),
            ("GET", "/events/s3", Route::WrongMethod(Resource::Events)),
            ("POST", "/healthz", Route::WrongMethod(Resource::Health)),
            ("GET", "/healthz/", Route::NotFound),
            ("GET", "/", Route::NotFound),
            ("GET", "/objectsx", Route::NotFound),
        ];
        for (method, path, route) in cases {
            assert_eq!(parse(method, path), route, "{method} {path}");
        }
    }

    #[test]
    fn labels_allow_and_access_come_from_the_route() {
        let label = |m, p| parse(m, p).label();
        assert_eq!(
            label("PUT", "/objects/secret%20plans.txt"),
            "/objects/{key}"
        );
        assert_eq!(label("POST", "/objects/a/copy"), "/objects/{key}/copy");
        assert_eq!(label("POST", "/healthz"), "/healthz");
        assert_eq!(label("GET", "/nowhere"), "other");
        let allow = |m, p| parse(m, p).resource().and_then(Resource::allow);
        assert_eq!(allow("PATCH", "/objects/k"), Some("GET, HEAD, PUT, DELETE"));
        assert_eq!(allow("DELETE", "/objects"), Some("GET, HEAD"));
        assert_eq!(allow("GET", "/presign"), Some("POST"));
        assert_eq!(allow("PUT", "/uploads/x"), Some("GET, HEAD, DELETE"));
        assert_eq!(label("GET", "/uploads/secret-id"), "/uploads/{id}");
        assert_eq!(allow("POST", "/healthz"), None);
        let access = |m, p| parse(m, p).access();
        assert_eq!(access("GET", "/healthz"), Access::Public);
        assert_eq!(access("HEAD", "/healthz"), Access::Public);
        assert_eq!(access("GET", "/healthz?deep=1"), Access::Api);
        assert_eq!(access("POST", "/healthz"), Access::Api);
        assert_eq!(access("GET", "/events/s3"), Access::Webhook);
        assert_eq!(access("POST", "/events/s3"), Access::Webhook);
        assert_eq!(access("POST", "/lambda"), Access::Api);
        assert_eq!(access("GET", "/nowhere"), Access::Api);
    }
}
