pub mod lincheck;
