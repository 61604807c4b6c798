//! Reading a supervisor's queue board: every queue's line, and the customers waiting in those
//! where someone waits.

use crate::view::QueueView;
use herald_client::{Client, ClientError};

/// The board with its waiting lists.
pub async fn load(client: &Client) -> Result<Vec<QueueView>, ClientError> {
    let mut out = Vec::new();
    for line in client.board().await? {
        let waiting = if line.waiting == 0 { Vec::new() } else { client.waiting(line.queue).await? };
        out.push(QueueView { line, waiting });
    }
    Ok(out)
}
