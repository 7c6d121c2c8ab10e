//! Re-embeds the migrations when a migration folder is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
