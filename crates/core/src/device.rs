//! Choosing where training runs: Burn's wgpu backend on a real GPU, or Burn's `flex` CPU backend.
//!
//! Rules learnt the hard way (see docs/architecture.md):
//! * wgpu is initialised fallibly, once per process, and the result is cached: Burn refuses a second
//!   initialisation, and the lazy `Device::wgpu()` panics on threads we cannot catch.
//! * Only Vulkan (Metal on macOS, DX12 on Windows) is ever asked for. Mesa's OpenGL driver is
//!   present on many headless Linux boxes, and on it wgpu deadlocked a whole process.
//! * `auto` uses wgpu only when the adapter is a real GPU. A software rasteriser (llvmpipe) is
//!   slower than the CPU backend; it is used only when `wgpu` is asked for by name (tests do).

use crate::error::{Error, ErrorKind, Result};
use burn::prelude::*;
use burn::tensor::wgpu::WgpuBackend;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The user's `backend` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    #[default]
    Auto,
    Wgpu,
    Cpu,
}

impl BackendChoice {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Self::Auto),
            "wgpu" | "gpu" => Ok(Self::Wgpu),
            "cpu" => Ok(Self::Cpu),
            other => Err(Error::config(format!("`backend` must be 'auto', 'wgpu' or 'cpu', got {other:?}"))),
        }
    }
}

/// What a GPU adapter turned out to be.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdapterDescription {
    pub name: String,
    pub device_type: String,
    pub api: String,
    pub driver: String,
    /// False for software rasterisers such as llvmpipe.
    pub is_hardware: bool,
}

/// A device training can run on, with how it was chosen.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    pub device: Device,
    /// `"wgpu"` or `"cpu"`.
    pub backend: &'static str,
    pub adapter: Option<AdapterDescription>,
}

/// The outcome of the one wgpu initialisation of this process.
static WGPU: OnceLock<std::result::Result<(Device, AdapterDescription), String>> = OnceLock::new();

#[cfg(target_os = "macos")]
const GPU_API: WgpuBackend = WgpuBackend::Metal;
#[cfg(target_os = "windows")]
const GPU_API: WgpuBackend = WgpuBackend::Dx12;
#[cfg(not(any(target_os = "macos", target_os = "windows")))]
const GPU_API: WgpuBackend = WgpuBackend::Vulkan;

fn init_wgpu() -> &'static std::result::Result<(Device, AdapterDescription), String> {
    WGPU.get_or_init(|| {
        let attempt = std::panic::catch_unwind(|| Device::wgpu_options().graphics_api(GPU_API).init_with_setup());
        match attempt {
            Ok(Ok((device, setup))) => {
                let info = setup.adapter.get_info();
                let device_type = format!("{:?}", info.device_type);
                let is_hardware = !matches!(
                    info.device_type,
                    burn::tensor::wgpu::wgpu::DeviceType::Cpu | burn::tensor::wgpu::wgpu::DeviceType::Other
                );
                Ok((
                    device,
                    AdapterDescription {
                        name: info.name,
                        device_type,
                        api: format!("{:?}", info.backend),
                        driver: info.driver,
                        is_hardware,
                    },
                ))
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the wgpu runtime panicked while starting".to_string()),
        }
    })
}

/// Resolves the user's choice to a device. `auto` never fails: it falls back to the CPU.
pub fn resolve(choice: BackendChoice) -> Result<ComputeDevice> {
    let cpu = || ComputeDevice { device: Device::flex(), backend: "cpu", adapter: None };
    match choice {
        BackendChoice::Cpu => Ok(cpu()),
        BackendChoice::Auto => Ok(match init_wgpu() {
            Ok((device, adapter)) if adapter.is_hardware => {
                ComputeDevice { device: device.clone(), backend: "wgpu", adapter: Some(adapter.clone()) }
            }
            _ => cpu(),
        }),
        BackendChoice::Wgpu => match init_wgpu() {
            Ok((device, adapter)) => {
                Ok(ComputeDevice { device: device.clone(), backend: "wgpu", adapter: Some(adapter.clone()) })
            }
            Err(reason) => Err(Error::new(
                ErrorKind::BackendUnavailable,
                format!("backend 'wgpu' was requested but no {GPU_API:?} GPU adapter is usable: {reason}. Use backend 'auto' or 'cpu', or install a Vulkan driver"),
            )
            .with("reason", reason.clone())),
        },
    }
}

/// Why `auto` chose what it chose, for `getStats()`.
pub fn describe_auto() -> String {
    match init_wgpu() {
        Ok((_, a)) if a.is_hardware => format!("GPU adapter {} ({})", a.name, a.api),
        Ok((_, a)) => format!("only a software adapter ({}) was found; the CPU backend is faster", a.name),
        Err(reason) => format!("no GPU adapter: {reason}"),
    }
}
