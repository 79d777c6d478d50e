//! Synthetic region generator (filled in next).
use std::path::Path;
pub fn generate(_out: &Path, _scale: u32, _seed: u64) -> crate::Result<String> {
    Err(crate::PurseError::Invalid("not yet".into()))
}
