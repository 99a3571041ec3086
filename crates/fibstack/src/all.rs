//! `fibstack all`, the default command: the api, its workers and the web client in one
//! process, on the embedded store unless Postgres and Redis are configured. The roles are the
//! same code as the separate `api` and `worker` processes; only the wiring differs.

use anyhow::Context;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::api::{Api, ApiSettings};
use crate::config::AllConfig;
use crate::wiring::AllInOneStorage;
use crate::{web, worker};

/// Serves until the shutdown token is cancelled, then lets the workers finish their jobs in
/// hand and closes the store.
pub async fn run(settings: AllConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    let AllInOneStorage { api, workers } =
        AllInOneStorage::open(&settings.storage, &settings.queue, settings.policy).await?;
    tracing::info!("storage: {}", workers.describe(&settings.storage));
    let worker_metrics = worker::WorkerMetrics::default();
    let api_settings = ApiSettings {
        host: settings.host,
        port: settings.port,
        policy: settings.policy,
        cache_budget: settings.queue.cache_budget,
        worker_metrics: Some(worker_metrics.clone()),
    };
    let api = Api::build(api_settings, api, shutdown.clone())
        .await?
        .with_client(web::client());
    let address = api.local_addr().context("the listener has no address")?;
    let mut running = JoinSet::new();
    for _ in 0..settings.workers {
        let jobs = workers.jobs(worker::unique_name())?;
        running.spawn(worker::run(
            jobs,
            settings.queue.clone(),
            worker_metrics.clone(),
            workers.roster.clone(),
            shutdown.clone(),
        ));
    }
    tracing::info!(
        workers = settings.workers,
        "fibstack is ready on http://{address}/"
    );
    let served = api.run_until_stopped().await;
    // The api stops on shutdown, or on an error: either way the workers stop with it.
    shutdown.cancel();
    while let Some(stopped) = running.join_next().await {
        stopped.context("a worker panicked")??;
    }
    workers.close().await;
    served
}
