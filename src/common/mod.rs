//! The ground floor: the value types and helpers every other module speaks, depending on nothing
//! in purse but [`crate::error`]. Money and decimals ([`money`]), a query's cells ([`val`]), the
//! reporting month ([`period`]), an alert's level ([`level`]), a problem found in an input
//! ([`issue`]) writing workbooks ([`xlsx`]) and
//! documents ([`docx`]).

pub mod docx;
pub mod issue;
pub mod level;
pub mod money;
pub mod period;
pub mod val;
pub mod xlsx;

pub use issue::{Issue, Severity};
pub use level::Level;
pub use money::{Money, decimal_text, parse_decimal};
pub use period::Period;
pub use val::{Val, values};
