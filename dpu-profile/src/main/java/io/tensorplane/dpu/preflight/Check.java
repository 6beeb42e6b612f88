package io.tensorplane.dpu.preflight;

/** One preflight finding: what was checked, how it went, and what was seen (with what to do about it). */
public record Check(String name, Status status, String detail) {

    /** {@code FAIL}: the profile cannot run; {@code WARN}: it runs, with less than it could have. */
    public enum Status { PASS, WARN, FAIL }

    static Check pass(String name, String detail) {
        return new Check(name, Status.PASS, detail);
    }

    static Check warn(String name, String detail) {
        return new Check(name, Status.WARN, detail);
    }

    static Check fail(String name, String detail) {
        return new Check(name, Status.FAIL, detail);
    }
}
