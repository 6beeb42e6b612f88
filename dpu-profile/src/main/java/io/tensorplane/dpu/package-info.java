/**
 * The BlueField DPU profile: presets, preflight checks and packaging for running the NVMe/TCP
 * server on the DPU's Arm cores. Reserved: no issue has asked for it yet, so it holds no code.
 */
package io.tensorplane.dpu;
