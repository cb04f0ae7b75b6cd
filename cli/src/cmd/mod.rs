pub mod check;
pub mod explore;
pub mod lincheck;
pub mod minimize;
pub mod replay;
pub mod sim;
