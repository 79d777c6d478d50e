//! Rendered pages and JSON bodies, kept for one generation of `purse.db` (any commit makes
//! them stale).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::app::lock;

/// Rendered pages and JSON bodies, valid for one generation.
#[derive(Default)]
pub struct Pages {
    cache: Mutex<(u64, HashMap<String, Arc<str>>)>,
}

impl Pages {
    pub fn get(&self, generation: u64, key: &str) -> Option<Arc<str>> {
        let c = lock(&self.cache);
        if c.0 == generation {
            c.1.get(key).cloned()
        } else {
            None
        }
    }

    pub fn put(&self, generation: u64, key: String, body: Arc<str>) {
        let mut c = lock(&self.cache);
        if c.0 != generation {
            // Only the newest generation is worth keeping; an older render arriving late is not.
            if c.0 > generation {
                return;
            }
            *c = (generation, HashMap::new());
        }
        // Pages, JSON and charts of many periods and both languages; a few MiB at most.
        if c.1.len() < 4096 {
            c.1.insert(key, body);
        }
    }
}
