package io.tensorplane.dpu.preflight;

/** A kernel release ({@code 6.8.0-1013-bluefield}) and what it means for each front door. */
record KernelVersion(int major, int minor, String release) {

    static KernelVersion parse(String release) {
        String[] p = release.split("[.\\-+]");
        try {
            return new KernelVersion(Integer.parseInt(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 0, release);
        } catch (NumberFormatException e) {
            return new KernelVersion(0, 0, release);
        }
    }

    boolean atLeast(int maj, int min) {
        return major > maj || major == maj && minor >= min;
    }

    /** ublk_drv arrived in 6.0. */
    boolean hasUblk() {
        return atLeast(6, 0);
    }

    String ublkMeaning() {
        if (!hasUblk()) {
            return "ublk no (the ublk driver needs 6.0; DOCA's Ubuntu 22.04 image runs 5.15)";
        }
        if (!atLeast(6, 5)) {
            return "ublk with per-tag buffers and recovery (user copy needs 6.5)";
        }
        if (!atLeast(6, 16)) {
            // this server's zero copy has the kernel register each request's buffer (AUTO_BUF_REG, 6.16)
            return "ublk with per-tag buffers or user copy, and recovery (zero copy needs 6.16)";
        }
        return "ublk with per-tag buffers or user copy, recovery and zero copy";
    }
}
