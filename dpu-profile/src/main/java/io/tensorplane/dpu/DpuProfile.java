package io.tensorplane.dpu;

/** The BlueField DPU profile: presets and preflight checks for running on the DPU Arm cores. */
final class DpuProfile {
    private DpuProfile() {
    }
}
