package io.tensorplane.it.nvmf;

import io.tensorplane.it.bed.TestbedTest;

/**
 * {@link NvmfKernelHostIT} on Debian's Linux 6.12, whose NVMe/TCP host is the one Debian 12 and most deployed machines
 * run.
 */
@TestbedTest(kernel = "6.12")
class NvmfKernelHostLinux612IT extends NvmfKernelHostIT {
}
