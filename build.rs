fn main() {
    napi_build::setup();
    // A portable build links this crate (and only it) with zig against an old glibc, through
    // scripts/rustc-zig-link.sh; switching between portable and plain must relink it.
    println!("cargo:rerun-if-env-changed=S3DB_ML_PORTABLE");
}
