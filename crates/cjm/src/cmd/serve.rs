//! `cjm serve`: the team web app.

use crate::{CliError, Outcome};
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "Run the team web app (accounts, gallery, editor, history, comments, share links, evidence)",
    long_about = "Run the team web app.\n\n\
The database and uploaded logs live in --data (created on first start, with a demo workspace). \
While no account exists, the server prints a one-time setup link for the first administrator.",
    after_help = "Examples:\n  cjm serve                                   data in ./cjm-data, on 127.0.0.1:8080\n  cjm serve --data /var/lib/cjm --addr 0.0.0.0:8080 --public-url https://cjm.example.com\n  cjm serve --logs /srv/event-logs                 big logs attached in place, no upload\n  cjm serve --spark sc://spark.internal:15002 --spark-path s3a://lake/cjm/   logs on a Spark cluster"
)]
pub(crate) struct Args {
    /// Where the database and uploaded logs live
    #[arg(long, default_value = "cjm-data")]
    data: PathBuf,
    /// Address and port to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// The address people use to reach the server, for links it prints and
    /// makes (setup, invitations, share links); https makes cookies Secure
    #[arg(long)]
    public_url: Option<String>,
    /// The largest event log upload, in MB
    #[arg(long, default_value = "64")]
    max_upload: u64,
    /// The most an uploaded compressed log may inflate to, in MB
    #[arg(long, default_value = "512")]
    max_inflated: u64,
    /// A reverse proxy in front of the server (repeatable): requests from it
    /// take the client's address from `X-Forwarded-For`, for sign-in throttling
    #[arg(long = "trusted-proxy", value_name = "IP")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// The memory the server's caches may hold together (logs read,
    /// drawings, checked versions, comparisons), in MB
    #[arg(long, default_value = "512")]
    cache_mb: u64,
    /// Do not seed the demo workspace on first start
    #[arg(long)]
    no_demo: bool,
    /// A folder of log files (Parquet, CSV, XES, JSON Lines, gzipped too)
    /// that workspaces attach in place: read where they are, as a stream,
    /// with no upload limit
    #[arg(long, value_name = "DIR")]
    logs: Option<PathBuf>,
    /// A Spark Connect server whose tables workspaces attach as logs (in
    /// cjm's canonical layout, `cjm export`, or read by cjm's rules with the
    /// detected columns): measured maps and the log
    /// pages run on the cluster (needs a build with the `spark` feature)
    #[arg(long, value_name = "sc://HOST:PORT")]
    spark: Option<String>,
    /// With --spark: a path prefix on the cluster (repeatable) under which
    /// workspaces may attach Parquet logs too; without it, tables only
    #[arg(long = "spark-path", value_name = "PREFIX", requires = "spark")]
    spark_paths: Vec<String>,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    if !(1..=4096).contains(&args.max_upload) {
        return Err(CliError::usage(format!("--max-upload {}: expected 1 to 4096 (MB)", args.max_upload)));
    }
    if !(1..=65536).contains(&args.max_inflated) {
        return Err(CliError::usage(format!("--max-inflated {}: expected 1 to 65536 (MB)", args.max_inflated)));
    }
    if !(16..=65536).contains(&args.cache_mb) {
        return Err(CliError::usage(format!("--cache-mb {}: expected 16 to 65536 (MB)", args.cache_mb)));
    }
    if let Some(u) = &args.public_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(CliError::usage(format!(
                "--public-url `{u}`: expected an address starting with http:// or https://"
            )));
        }
    }
    if let Some(dir) = &args.logs {
        if !dir.is_dir() {
            return Err(CliError::usage(format!(
                "--logs {}: not a folder; give the folder that holds the logs",
                dir.display()
            )));
        }
    }
    check_spark(&args)?;
    let mut config = cjm_server::Config::new(args.data.clone());
    config.logs_dir = args.logs.clone();
    config.spark = args.spark.clone();
    config.spark_paths = args.spark_paths.clone();
    config.public_url = args.public_url.clone();
    config.max_upload = args.max_upload * 1024 * 1024;
    config.max_inflated = args.max_inflated * 1024 * 1024;
    config.cache_bytes = (args.cache_mb * 1024 * 1024) as usize;
    config.demo = !args.no_demo;
    config.trusted_proxies = args.trusted_proxies.clone();
    let opened = cjm_server::open(config).map_err(CliError::usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("starting the server runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.addr).await.map_err(|e| {
            CliError::usage(format!(
                "cannot listen on {}: {e} (is another server using the port? try --addr 127.0.0.1:8081)",
                args.addr
            ))
        })?;
        let local = listener.local_addr().map_err(|e| CliError::usage(e.to_string()))?;
        let base = args.public_url.clone().unwrap_or_else(|| format!("http://{local}"));
        let listening = format!("cjm serve: data in {}, listening on http://{local}\n", args.data.display());
        let open = match &opened.setup_path {
            Some(path) => format!(
                "cjm serve: no account yet. Open this one-time link to create the administrator:\n\n    {}{path}\n\n",
                base.trim_end_matches('/')
            ),
            None => format!("cjm serve: open {base}\n"),
        };
        // One write: stderr is unbuffered, and `eprintln!` with arguments
        // writes piece by piece, so a reader could see half a link.
        eprint!("{}", listening + &open);
        cjm_server::serve(opened.state, listener)
            .await
            .map_err(|e| CliError::usage(format!("the server stopped: {e}")))?;
        eprintln!("cjm serve: stopped");
        Ok(Outcome::Ok)
    })
}

/// `--spark`: an address the client reads, in a build that has it (the
/// server is not asked to answer yet: it may start later than cjm).
fn check_spark(args: &Args) -> Result<(), CliError> {
    let Some(url) = &args.spark else { return Ok(()) };
    if !cfg!(feature = "spark") {
        return Err(CliError::usage(
            "--spark: this cjm was built without Spark: build it with `cargo build --release -p cjm --features spark` \
             (needs protoc, e.g. `apt-get install protobuf-compiler libprotobuf-dev`)",
        ));
    }
    #[cfg(feature = "spark")]
    cjm_spark::client::address(url).map_err(|e| CliError::usage(format!("--spark: {e}")))?;
    let _ = url;
    for p in &args.spark_paths {
        if p.trim().is_empty() || p.contains("..") {
            return Err(CliError::usage(format!("--spark-path `{p}`: give a path prefix on the cluster, without ..")));
        }
    }
    Ok(())
}
