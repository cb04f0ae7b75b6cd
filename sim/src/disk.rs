//! A node's disk: what is durable, and writes the node did not ask to sync yet (only the
//! ack-before-sync bug produces those: a correct node syncs before it sends).
use crate::config::CrashMode;
use crate::memo::Memo;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verraft_core::{HardState, KvCommand, LogWrite, MemStorage, Storage, StorageError};

#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Disk {
    /// Shared between the clones of a world until this disk is written (copy on write).
    pub durable: Arc<Memo<MemStorage<KvCommand>>>,
    pub unsynced: Vec<(Option<HardState>, Option<LogWrite<KvCommand>>)>,
}

impl Disk {
    pub fn write(
        &mut self,
        hs: Option<HardState>,
        log: Option<LogWrite<KvCommand>>,
        sync: bool,
    ) -> Result<(), StorageError> {
        if hs.is_none() && log.is_none() {
            return Ok(());
        }
        if sync {
            self.flush()?;
            self.apply(hs, log)
        } else {
            self.unsynced.push((hs, log));
            Ok(())
        }
    }

    /// `flush`, when there is anything to flush.
    pub fn flush_pending(&mut self) -> Result<(), StorageError> {
        if self.unsynced.is_empty() {
            return Ok(());
        }
        self.flush()
    }

    /// The operating system writes buffered data out.
    pub fn flush(&mut self) -> Result<(), StorageError> {
        for (hs, log) in std::mem::take(&mut self.unsynced) {
            self.apply(hs, log)?;
        }
        Ok(())
    }

    pub fn crash(&mut self, mode: CrashMode) -> Result<(), StorageError> {
        match mode {
            CrashMode::KeepUnsynced => self.flush(),
            CrashMode::LoseUnsynced => {
                self.unsynced.clear();
                Ok(())
            }
        }
    }

    fn apply(
        &mut self,
        hs: Option<HardState>,
        log: Option<LogWrite<KvCommand>>,
    ) -> Result<(), StorageError> {
        let durable = Arc::make_mut(&mut self.durable);
        if let Some(hs) = hs {
            durable.save_hard_state(hs)?;
        }
        if let Some(w) = log {
            durable.write_log(w)?;
        }
        Ok(())
    }
}
