//! The s3db.js key formula (s3db-contract §4.2): `keyPrefix ? path.posix.join(keyPrefix, key) : key`.
//! The native S3 store must produce exactly the object keys the JavaScript client does, or weights
//! written by one side would be invisible to the other.

/// `path.posix.join(prefix, key)` for the keys we store: empty and `.` segments dropped, `..`
/// taking its parent away, a leading `/` kept.
pub fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        return key.to_string();
    }
    let joined = format!("{prefix}/{key}");
    let mut segments: Vec<&str> = Vec::new();
    for segment in joined.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let body = segments.join("/");
    if joined.starts_with('/') { format!("/{body}") } else { body }
}

#[cfg(test)]
mod tests {
    use super::join_key;

    #[test]
    fn matches_node_posix_join() {
        assert_eq!(join_key("", "plugin=ml/models/m/v1.safetensors"), "plugin=ml/models/m/v1.safetensors");
        assert_eq!(join_key("test-1", "a/b"), "test-1/a/b");
        assert_eq!(join_key("tenants/acme/", "/a//b"), "tenants/acme/a/b");
        assert_eq!(join_key("p", "./a/../b"), "p/b");
        assert_eq!(join_key("/root", "x"), "/root/x");
    }
}
