package io.tensorplane.it.bed;

/** The test bed could not be prepared, booted or reached. Tests that meet it fail (never skip). */
public final class TestbedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TestbedException(String message) {
        super(message);
    }

    public TestbedException(String message, Throwable cause) {
        super(message, cause);
    }
}
