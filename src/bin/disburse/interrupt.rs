//! Ctrl-C and SIGTERM: the first stops the run gracefully, the second aborts it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

/// How many interrupts arrived (0, 1, 2 …), and the flag the batch engine stops on.
pub struct Interrupts {
    pub count: watch::Receiver<u32>,
    pub stop: Arc<AtomicBool>,
}

/// Listens for SIGINT and SIGTERM from now on (the handlers are installed before it returns).
pub fn listen() -> Interrupts {
    let (tx, count) = watch::channel(0u32);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let mut signals = Signals::install();
    tokio::spawn(async move {
        let mut n = 0;
        while signals.next().await {
            n += 1;
            flag.store(true, Ordering::SeqCst);
            if tx.send(n).is_err() {
                return;
            }
        }
    });
    Interrupts { count, stop }
}

#[cfg(unix)]
struct Signals {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn next(&mut self) -> bool {
        let (Some(int), Some(term)) = (&mut self.int, &mut self.term) else {
            return false;
        };
        tokio::select! {
            got = int.recv() => got.is_some(),
            got = term.recv() => got.is_some(),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Signals {
        Signals
    }

    async fn next(&mut self) -> bool {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
