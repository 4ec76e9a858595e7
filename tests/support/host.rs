//! A small Spin-like host for the built component, for end-to-end tests.
//!
//! It links what Spin links for an HTTP component (WASI 0.2 `wasi:cli/imports`,
//! `wasi:http`, `fermyon:spin/variables`, `fermyon:spin/key-value`), takes
//! variables, `allowed_outbound_hosts` and `key_value_stores` from `spin.toml`
//! plus per-test overrides, and
//! serves HTTP/1.1 on `127.0.0.1:0`. Each request gets a fresh instance, as in
//! Spin, with the `spin-*` headers Spin adds (`spin-full-url`, `spin-path-info`, ...). Guest stdout and stderr (and the host's own notes, such as a denied
//! outbound request) go to one in-memory log that tests read with
//! [`Host::logs`]. Dropping the [`Host`] stops the server and its connections.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, Store,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::manifest::{Manifest, Overrides};
use super::outbound::{note_log, AllowedHosts, OutboundPolicy};
use super::wasm_build::AppUnderTest;

wasmtime::component::bindgen!({
    // Parsed together with `wit/`, which provides the `fermyon:spin` interfaces.
    inline: "package spinlift:harness; world host {
        import fermyon:spin/variables@2.0.0;
        import fermyon:spin/key-value@2.0.0;
    }",
    with: { "fermyon:spin/key-value.store": KvStore },
});
use fermyon::spin::{key_value, variables};

/// An open key-value store: the host has one, `default`, shared by every request.
pub struct KvStore;

/// The engine, shared by every host in this test process.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        // Tests run a few requests: a fast compile beats fast code. Benchmarks
        // (examples/e2e_bench) set SPINLIFT_HOST_OPTIMIZE to run the component as Spin
        // does: optimized code, and instances taken from a pool whose linear memories are
        // reset and reused rather than mapped afresh per request.
        if std::env::var_os("SPINLIFT_HOST_OPTIMIZE").is_some() {
            config.cranelift_opt_level(OptLevel::Speed);
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(128)
                .total_core_instances(512)
                .total_memories(128)
                .total_tables(512)
                .max_memory_size(1 << 30);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        } else {
            config.cranelift_opt_level(OptLevel::None);
        }
        Engine::new(&config).expect("wasmtime engine")
    })
}

/// The component at `wasm`, compiled once per test process.
fn compiled(wasm: &Path) -> Component {
    static COMPILED: OnceLock<Mutex<HashMap<PathBuf, Component>>> = OnceLock::new();
    let mut compiled = COMPILED.get_or_init(Mutex::default).lock().unwrap();
    compiled
        .entry(wasm.to_owned())
        .or_insert_with(|| {
            Component::from_file(engine(), wasm)
                .unwrap_or_else(|err| panic!("compile {}: {err:#}", wasm.display()))
        })
        .clone()
}

/// Per-test configuration of a [`Host`].
#[derive(Default)]
pub struct HostBuilder {
    overrides: Overrides,
    clock_offset: i64,
    app: Option<AppUnderTest>,
}

impl HostBuilder {
    /// Sets application variable `name` (must be declared in spin.toml).
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.overrides.insert(name.into(), Some(value.into()));
        self
    }

    /// Leaves application variable `name` without a value, default included: the guest
    /// reads it as undefined, as a component that does not declare it does under Spin (which
    /// would refuse to start an app with a variable left without any value), and an
    /// `allowed_outbound_hosts` entry naming it denies every request, as in Spin 4.0.2.
    pub fn unset(mut self, name: &str) -> Self {
        self.overrides.insert(name.into(), None);
        self
    }

    /// Points the S3 variables at a local store (`host:port`, path style) with its key pair.
    pub fn s3_store(self, host: &str) -> Self {
        use super::s3_store::{ACCESS_KEY, BUCKET, SECRET_KEY};
        self.var("s3_host", host)
            .var("s3_bucket", BUCKET)
            .var("aws_access_key_id", ACCESS_KEY)
            .var("aws_secret_access_key", SECRET_KEY)
    }

    /// Makes the guest's wall clock run `seconds` off the real time (a host with a bad clock).
    pub fn clock_offset(mut self, seconds: i64) -> Self {
        self.clock_offset = seconds;
        self
    }

    /// Serves `app` instead of spinlift's default component.
    pub fn app(mut self, app: AppUnderTest) -> Self {
        self.app = Some(app);
        self
    }

    /// Instantiates the component and starts serving on `127.0.0.1:0`.
    pub async fn start(self) -> Host {
        let app = self.app.clone().unwrap_or_else(AppUnderTest::spinlift);
        let engine = engine();
        let component = compiled(&app.wasm);
        let manifest = Manifest::load_from(&app.manifest);
        let mut linker = Linker::<Guest>::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).unwrap();
        variables::add_to_linker::<_, HasSelf<Guest>>(&mut linker, |guest| guest).unwrap();
        key_value::add_to_linker::<_, HasSelf<Guest>>(&mut linker, |guest| guest).unwrap();
        let shared = Arc::new(Shared {
            pre: ProxyPre::new(linker.instantiate_pre(&component).unwrap()).unwrap(),
            variables: manifest.component_variables(&self.overrides),
            allowed: Arc::new(AllowedHosts::parse(
                &manifest.allowed_outbound_hosts(&self.overrides),
            )),
            kv_granted: manifest.key_value_stores().contains(&"default".to_owned()),
            kv: Arc::default(),
            // Room for a load test's request lines (a full pipe fails the guest's writes).
            log: MemoryOutputPipe::new(256 << 20),
            peak_memory: Arc::new(AtomicUsize::new(0)),
            clock_offset: self.clock_offset,
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(serve(listener, shared.clone()));
        Host {
            addr,
            shared,
            server,
        }
    }
}

/// A running host; stops when dropped.
pub struct Host {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

/// A response as the test client saw it.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: http::HeaderMap,
    /// Body, as text.
    pub body: String,
    /// Body, as sent.
    pub bytes: Vec<u8>,
}

impl Host {
    /// A host with spin.toml's defaults.
    pub fn builder() -> HostBuilder {
        HostBuilder::default()
    }

    /// Where the host listens, for tests that speak raw HTTP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The largest linear memory any instance of this host has had, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.shared.peak_memory.load(Ordering::Relaxed)
    }

    /// Everything the guest printed so far (stdout and stderr), and host notes.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.shared.log.contents()).into_owned()
    }

    /// Sends `request` over a real TCP connection; the URI is a path like `/healthz`.
    pub async fn send(&self, request: http::Request<Vec<u8>>) -> Answer {
        let (parts, body) = self.send_streamed(request).await;
        let body = body.unwrap_or_else(|err| panic!("the answer's body broke off: {err}"));
        Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            bytes: body,
        }
    }

    /// Like [`Host::send`], for an answer whose body may break off: the head, and the body or
    /// why it did not complete.
    pub async fn send_streamed(
        &self,
        mut request: http::Request<Vec<u8>>,
    ) -> (http::response::Parts, Result<Vec<u8>, String>) {
        let host = http::HeaderValue::from_str(&self.addr.to_string()).unwrap();
        request.headers_mut().insert(http::header::HOST, host);
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        let connection = tokio::spawn(connection);
        let response = sender
            .send_request(request.map(Full::<Bytes>::from))
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await;
        connection.abort();
        let body = body
            .map(|body| body.to_bytes().to_vec())
            .map_err(|err| format!("{err:?}"));
        (parts, body)
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

/// What every request of one host shares.
struct Shared {
    pre: ProxyPre<Guest>,
    variables: HashMap<String, String>,
    allowed: Arc<AllowedHosts>,
    /// Whether spin.toml grants the component the `default` key-value store.
    kv_granted: bool,
    kv: Kv,
    log: MemoryOutputPipe,
    peak_memory: Arc<AtomicUsize>,
    clock_offset: i64,
}

/// A wall clock `offset` seconds off the system's.
struct OffsetClock {
    offset: i64,
}

impl wasmtime_wasi::HostWallClock for OffsetClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let shift = Duration::from_secs(self.offset.unsigned_abs());
        if self.offset >= 0 {
            real + shift
        } else {
            real - shift
        }
    }
}

/// The `default` key-value store's contents.
type Kv = Arc<Mutex<HashMap<String, Vec<u8>>>>;

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, client)) = listener.accept().await else {
            continue;
        };
        // An answer's head and body go out as separate writes: without this, Nagle's
        // algorithm holds the body back until the client's delayed ACK (tens of ms).
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let service = hyper::service::service_fn(move |req| {
            let shared = shared.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(&shared, req, client).await) }
        });
        connections.spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            let _ = connection.await;
        });
    }
}

/// Runs one request through a fresh instance; a failure becomes a logged 500 with an empty
/// body, as Spin answers (`trigger-http/src/server.rs`). So is a request with a header value
/// that is not UTF-8, which Spin 4.0.2 refuses before any component runs
/// (`trigger-http/src/headers.rs`, `prepare_request_headers`).
async fn handle(
    shared: &Shared,
    mut request: hyper::Request<hyper::body::Incoming>,
    client: SocketAddr,
) -> hyper::Response<HyperOutgoingBody> {
    let readable = request
        .headers()
        .values()
        .all(|value| std::str::from_utf8(value.as_bytes()).is_ok());
    let result = match readable {
        true => {
            add_spin_headers(&mut request, client);
            run_guest(shared, request).await
        }
        false => Err(wasmtime::format_err!("a header value is not UTF-8")),
    };
    match result {
        Ok(response) => response,
        Err(err) => {
            note_log(&shared.log, &format!("harness: {err:?}\n"));
            let body = Full::new(Bytes::new()).map_err(|never| match never {});
            let mut response = hyper::Response::new(body.boxed_unsync());
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}

/// Adds the headers Spin 4.0.2 gives a request for a component routed at `/...`, as every app
/// under test is (`trigger-http/src/headers.rs`, `compute_default_headers`; the route's
/// fields from `routes/src/lib.rs`). They are appended after the client's own, as Spin's
/// `HeaderMap::extend` does, so a client's `spin-*` header comes first.
fn add_spin_headers<B>(request: &mut hyper::Request<B>, client: SocketAddr) {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    // The trailing wildcard of `/...`: the whole path, a trailing slash kept.
    let path_info = request.uri().path().to_owned();
    for (name, value) in [
        ("spin-path-info", path_info),
        ("spin-full-url", format!("http://{host}{path_and_query}")),
        ("spin-matched-route", "/...".to_owned()),
        ("spin-base-path", "/".to_owned()),
        ("spin-raw-component-route", "/...".to_owned()),
        // The route without its trailing wildcard.
        ("spin-component-route", String::new()),
        ("spin-client-addr", client.to_string()),
    ] {
        if let Ok(value) = http::HeaderValue::from_str(&value) {
            request
                .headers_mut()
                .append(http::HeaderName::from_static(name), value);
        }
    }
}

async fn run_guest(
    shared: &Shared,
    request: hyper::Request<hyper::body::Incoming>,
) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>> {
    let wasi = WasiCtx::builder()
        .stdout(shared.log.clone())
        .stderr(shared.log.clone())
        .wall_clock(OffsetClock {
            offset: shared.clock_offset,
        })
        .build();
    let guest = Guest {
        wasi,
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
        hooks: OutboundPolicy {
            allowed: shared.allowed.clone(),
            log: shared.log.clone(),
        },
        variables: shared.variables.clone(),
        kv: shared.kv_granted.then(|| shared.kv.clone()),
        memory: PeakMemory(shared.peak_memory.clone()),
    };
    let mut store = Store::new(shared.pre.engine(), guest);
    store.limiter(|guest| &mut guest.memory);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let request = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, request)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    // As in Spin, the guest runs on its own task: it may still be writing the body
    // after it has set the response head, which hyper streams out meanwhile.
    let (pre, log) = (shared.pre.clone(), shared.log.clone());
    tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await;
        let result = match proxy {
            Ok(proxy) => {
                let handler = proxy.wasi_http_incoming_handler();
                handler.call_handle(&mut store, request, out).await
            }
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            note_log(&log, &format!("harness: guest failed: {err:?}\n"));
        }
    });
    match receiver.await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => Err(wasmtime::format_err!("guest answered error code {code:?}")),
        Err(_) => Err(wasmtime::format_err!("guest never set a response")),
    }
}

/// The store data of one instance.
struct Guest {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundPolicy,
    variables: HashMap<String, String>,
    /// The `default` store, when granted.
    kv: Option<Kv>,
    memory: PeakMemory,
}

/// Records the largest linear memory an instance grows to (it never refuses growth).
struct PeakMemory(Arc<AtomicUsize>);

impl wasmtime::ResourceLimiter for PeakMemory {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.0.fetch_max(desired, Ordering::Relaxed);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

impl WasiView for Guest {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Guest {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Spin's rule for a variable's name (`expressions/src/lib.rs`, `Key::validate`): lowercase
/// ASCII letters, digits and single underscores, starting with a letter, not ending with `_`.
fn valid_variable_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && !name.contains("__")
}

impl variables::Host for Guest {
    fn get(&mut self, name: String) -> Result<String, variables::Error> {
        if !valid_variable_name(&name) {
            return Err(variables::Error::InvalidName(format!("{name:?}")));
        }
        self.variables
            .get(&name)
            .cloned()
            .ok_or(variables::Error::Undefined(format!(
                "no variable for {name:?}"
            )))
    }
}

impl key_value::Host for Guest {}

impl key_value::HostStore for Guest {
    fn open(&mut self, label: String) -> Result<Resource<KvStore>, key_value::Error> {
        match (label.as_str(), &self.kv) {
            ("default", Some(_)) => Ok(self.table.push(KvStore).expect("resource table")),
            ("default", None) => Err(key_value::Error::AccessDenied),
            _ => Err(key_value::Error::NoSuchStore),
        }
    }

    fn get(
        &mut self,
        _: Resource<KvStore>,
        key: String,
    ) -> Result<Option<Vec<u8>>, key_value::Error> {
        Ok(self.kv_data().get(&key).cloned())
    }

    fn set(
        &mut self,
        _: Resource<KvStore>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), key_value::Error> {
        self.kv_data().insert(key, value);
        Ok(())
    }

    fn delete(&mut self, _: Resource<KvStore>, key: String) -> Result<(), key_value::Error> {
        self.kv_data().remove(&key);
        Ok(())
    }

    fn exists(&mut self, _: Resource<KvStore>, key: String) -> Result<bool, key_value::Error> {
        Ok(self.kv_data().contains_key(&key))
    }

    fn get_keys(&mut self, _: Resource<KvStore>) -> Result<Vec<String>, key_value::Error> {
        Ok(self.kv_data().keys().cloned().collect())
    }

    fn drop(&mut self, store: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl Guest {
    /// The granted store's data (only reachable through a store `open` handed out).
    fn kv_data(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.kv.as_ref().expect("opened").lock().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::{add_spin_headers, valid_variable_name};

    #[test]
    fn requests_get_spins_headers_after_the_clients_own() {
        let mut request = hyper::Request::get("/objects/a%20b?limit=1")
            .header("host", "127.0.0.1:3000")
            .header("spin-full-url", "http://spoofed/")
            .body(())
            .unwrap();
        add_spin_headers(&mut request, "127.0.0.1:55000".parse().unwrap());
        let headers = request.headers();
        let all = |name: &str| -> Vec<&str> {
            headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect()
        };
        assert_eq!(
            all("spin-full-url"),
            [
                "http://spoofed/",
                "http://127.0.0.1:3000/objects/a%20b?limit=1"
            ]
        );
        assert_eq!(all("spin-path-info"), ["/objects/a%20b"]);
        assert_eq!(all("spin-matched-route"), ["/..."]);
        assert_eq!(all("spin-component-route"), [""]);
        assert_eq!(all("spin-client-addr"), ["127.0.0.1:55000"]);
    }

    #[test]
    fn variable_names_follow_spins_rule() {
        for good in ["s3_bucket", "a", "aws_region2"] {
            assert!(valid_variable_name(good), "{good}");
        }
        for bad in [
            "",
            "S3_bucket",
            "s3-bucket",
            "_a",
            "a_",
            "a__b",
            "2a",
            "café",
        ] {
            assert!(!valid_variable_name(bad), "{bad}");
        }
    }
}
