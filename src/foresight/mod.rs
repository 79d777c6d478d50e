//! Foresight: where the year will end (projection), what a rule would have found on history
//! before it is switched on (backtest), and how good each source's data is (quality).

pub mod backtest;
pub mod projection;
pub mod quality;

pub use projection::{Accuracy, Basis, Grain, Outlook, PefaOutlook, Projection};
