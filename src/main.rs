//! `vipps-identity`: serve (the default), migrate, print the GraphQL schema, or run a mock
//! Vipps Login provider.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use vipps_identity::{App, Config, db::DbPool, graphql, mock_vipps, telemetry};

/// A GraphQL identity API server for "Log in with Vipps" across many organizations.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "Log filter: RUST_LOG (default `info`), e.g. RUST_LOG=vipps_identity=debug.\nEvery option can also be set in a `.env` file in the working directory."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the REST and GraphQL API (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the GraphQL schema (SDL), the content of `schema.graphql`.
    Schema,
    /// Run a fake Vipps Login provider on its own port, for local development (never part of
    /// `serve`).
    MockVipps(mock_vipps::MockArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Schema => print!("{}", graphql::sdl()),
        Command::Migrate => {
            telemetry::init(cli.config.log_format);
            let db = DbPool::connect(&cli.config.database_url, 1)?;
            let applied = db.migrate().await?;
            tracing::info!(applied, "migrations applied");
        }
        Command::Serve => {
            telemetry::init(cli.config.log_format);
            serve(cli.config).await?;
        }
        Command::MockVipps(args) => {
            telemetry::init(cli.config.log_format);
            run_mock_vipps(&args).await?;
        }
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let (app, generated_token) = App::from_config(&config).await?;
    if let Some(token) = generated_token {
        eprintln!(
            "WARNING: ADMIN_TOKEN is not set. Generated an admin token for this run only (it is not logged):\n\n    {token}\n\nSet ADMIN_TOKEN to keep a token across restarts.\n"
        );
    }
    let listener = TcpListener::bind(config.bind_addr)
        .await
        .with_context(|| format!("binding {}", config.bind_addr))?;
    tracing::info!(
        addr = %config.bind_addr,
        graphiql = format!("http://{}/graphiql", config.bind_addr),
        "listening"
    );
    vipps_identity::serve(app, listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn run_mock_vipps(args: &mock_vipps::MockArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind(args.mock_bind)
        .await
        .with_context(|| format!("binding {}", args.mock_bind))?;
    let mock = mock_vipps::MockVipps::start(args.config(), listener).await?;
    let issuer = mock.issuer();
    let method = match args.mock_auth_method {
        mock_vipps::MockAuthMethod::ClientSecretBasic => "client_secret_basic",
        mock_vipps::MockAuthMethod::ClientSecretPost => "client_secret_post",
    };
    let approval = if args.mock_auto_approve {
        "every login is approved as the first test user"
    } else {
        "the login page lets you pick a test user"
    };
    eprintln!(
        "Mock Vipps Login is running ({approval}).\n\n    issuer:        {issuer}\n    discovery:     {issuer}.well-known/openid-configuration\n    client_id:     {id}\n    client_secret: {secret}\n    auth method:   {method}\n    redirect URIs: {uris}\n\nPoint vipps-identity at it:\n\n    VIPPS_TEST_ISSUER={issuer}\n    MOCK_VIPPS_CLIENT_SECRET={secret}   (and give the organization client_secret_ref env://MOCK_VIPPS_CLIENT_SECRET)\n",
        id = args.mock_client_id,
        secret = args.mock_client_secret,
        uris = args.mock_redirect_uri.join(", "),
    );
    shutdown_signal().await;
    mock.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
