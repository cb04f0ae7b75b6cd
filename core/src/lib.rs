pub mod placeholder_until_core {}
