//! `backendInfo(choice)`: which compute backend a choice resolves to on this machine, and why.

use crate::runtime::blocking;
use napi_derive::napi;
use s3db_ml_core::{BackendChoice, ErrorKind, device};

#[napi(object)]
pub struct BackendInfo {
    /// `"wgpu"` or `"cpu"`.
    pub backend: String,
    /// The GPU adapter, when `backend` is `"wgpu"`.
    pub adapter: Option<String>,
    /// Whether that adapter is real hardware (false for software rasterisers such as llvmpipe).
    pub hardware: Option<bool>,
    /// Why `auto` chose what it chose.
    pub reason: String,
}

/// Resolves `choice` (`'auto' | 'wgpu' | 'cpu'`). Starting a GPU driver can take a moment, so this
/// runs off the JavaScript thread. Rejects with `E_BACKEND_UNAVAILABLE` when `'wgpu'` cannot be had.
#[napi(ts_return_type = "Promise<BackendInfo>")]
pub fn backend_info(
    env: &napi::Env,
    choice: String,
) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'_, BackendInfo>> {
    env.spawn_future(blocking(ErrorKind::BackendUnavailable, "choosing a compute backend", move || {
        let resolved = device::resolve(BackendChoice::parse(&choice)?)?;
        Ok(BackendInfo {
            backend: resolved.backend.to_string(),
            adapter: resolved.adapter.as_ref().map(|a| format!("{} ({}, {})", a.name, a.api, a.device_type)),
            hardware: resolved.adapter.as_ref().map(|a| a.is_hardware),
            reason: match choice.as_str() {
                "auto" => device::describe_auto(),
                other => format!("backend '{other}' was requested"),
            },
        })
    }))
}
