//! Assembling the router and running it: [`Server::start`] binds and serves on a thread of its
//! own (tests and embedding), [`serve`] does the same and blocks until Ctrl-C.

use crate::auth::{self, Sessions, Tokens};
use crate::config::{ServerConfig, TOKENS_FILE};
use crate::db::Db;
use crate::{api, console, headers};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// The largest request body accepted (agent batches are the big ones).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

pub struct AppState {
    pub db: Arc<Db>,
    pub auth: AuthState,
}

pub struct AuthState {
    pub tokens: Tokens,
    pub sessions: Sessions,
    pub anonymous: bool,
    /// The CSRF token of anonymous (demo) callers, fixed for the server's life.
    pub anonymous_csrf: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    #[error(transparent)]
    Tokens(#[from] auth::TokenError),
    #[error(
        "no token configured: set VIGIL_TOKEN or add `ROLE NAME TOKEN` lines to `{0}` (or allow anonymous loopback access for a demo)"
    )]
    NoTokens(String),
    #[error("anonymous access is only allowed on a loopback address, not `{0}`")]
    AnonymousNotLoopback(SocketAddr),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error("the server thread panicked")]
    Panicked,
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    auth_summary: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), ServerError>>>,
}

impl Server {
    /// Binds `config.listen` and serves on a background thread until [`Server::stop`].
    pub fn start(config: ServerConfig) -> Result<Server, ServerError> {
        Server::start_inner(config, false)
    }

    fn start_inner(config: ServerConfig, until_ctrl_c: bool) -> Result<Server, ServerError> {
        let tokens_path = config.data_dir.join(TOKENS_FILE);
        let tokens = Tokens::load(config.admin_token.as_deref(), &tokens_path)?;
        if config.allow_anonymous_loopback && !config.listen.ip().is_loopback() {
            return Err(ServerError::AnonymousNotLoopback(config.listen));
        }
        if tokens.is_empty() && !config.allow_anonymous_loopback {
            return Err(ServerError::NoTokens(tokens_path.display().to_string()));
        }
        let db = Db::open(config.data_dir.clone())?;
        let listener =
            std::net::TcpListener::bind(config.listen).map_err(|source| ServerError::Bind {
                addr: config.listen,
                source,
            })?;
        let bind_err = |source| ServerError::Bind {
            addr: config.listen,
            source,
        };
        let addr = listener.local_addr().map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let auth_summary = if config.allow_anonymous_loopback {
            format!(
                "ANONYMOUS ADMIN ACCESS from loopback, no token needed (demo mode); {} token(s) also accepted",
                tokens.len()
            )
        } else {
            format!(
                "{} token(s) accepted (Authorization: Bearer, console login)",
                tokens.len()
            )
        };
        let state = Arc::new(AppState {
            db,
            auth: AuthState {
                tokens,
                sessions: Sessions::default(),
                anonymous: config.allow_anonymous_loopback,
                anonymous_csrf: auth::random_token(),
            },
        });
        let app = router(state);
        let (tx, rx) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("vigil-http")
            .build()
            .map_err(ServerError::Runtime)?;
        let thread = std::thread::Builder::new()
            .name("vigil-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).map_err(ServerError::Serve)?;
                    let stop = async move {
                        if until_ctrl_c {
                            tokio::select! {
                                _ = rx => {}
                                _ = tokio::signal::ctrl_c() => {}
                                _ = terminated() => {}
                            }
                        } else {
                            let _ = rx.await;
                        }
                    };
                    axum::serve(listener, app)
                        .with_graceful_shutdown(stop)
                        .await
                        .map_err(ServerError::Serve)
                })
            })
            .map_err(ServerError::Runtime)?;
        Ok(Server {
            addr,
            auth_summary,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The address actually bound (port 0 in the config picks a free one).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// One line saying how callers authenticate, for the startup banner.
    pub fn auth_summary(&self) -> &str {
        &self.auth_summary
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub fn stop(mut self) -> Result<(), ServerError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.join()
    }

    /// Blocks until the server ends (Ctrl-C or SIGTERM for a server from [`serve`]).
    pub fn wait(mut self) -> Result<(), ServerError> {
        self.join()
    }

    fn join(&mut self) -> Result<(), ServerError> {
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| ServerError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// SIGTERM (what service managers send to stop a service); never on other platforms.
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        term.recv().await;
        return;
    }
    std::future::pending::<()>().await;
}

/// Starts the server and blocks until Ctrl-C or SIGTERM; `on_ready` is called once it listens.
pub fn serve(config: ServerConfig, on_ready: impl FnOnce(&Server)) -> Result<(), ServerError> {
    let server = Server::start_inner(config, true)?;
    on_ready(&server);
    server.wait()
}

fn router(state: Arc<AppState>) -> Router {
    let protected = Router::new()
        .merge(api::routes())
        .merge(console::routes())
        .layer(from_fn_with_state(Arc::clone(&state), auth::authenticate));
    Router::new()
        .merge(console::public_routes())
        .merge(api::public_routes())
        .merge(protected)
        .fallback(console::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn(headers::security_headers))
        .with_state(state)
}
