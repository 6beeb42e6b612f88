package io.tensorplane.it.bed;

import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * JUnit 5 extension behind {@link TestbedTest}: boots one guest per test class (named after the class, so its console
 * log is {@code it/target/testbed-logs/<TestClass>.log}), resolves {@link Guest} parameters, records failed tests
 * with the guest's dmesg in {@code <TestClass>.failures.log}, and powers the guest off after the class.
 */
public final class TestbedExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver, TestWatcher {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TestbedExtension.class);
    private static final String KEY = "guest";

    @Override
    public void beforeAll(ExtensionContext context) {
        if (context.getStore(NS).get(KEY, Guest.class) != null) {
            return; // a @Nested class uses its enclosing class's guest
        }
        TestbedTest kind = context.getRequiredTestClass().getAnnotation(TestbedTest.class);
        Guest guest = Testbed.boot(context.getRequiredTestClass().getSimpleName(),
                kind == null ? "" : kind.init(), kind == null ? "" : kind.arch());
        context.getStore(NS).put(KEY, guest);
        context.getStore(NS).put(KEY + ".owner", context.getUniqueId());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getUniqueId().equals(context.getStore(NS).get(KEY + ".owner", String.class))) {
            Guest guest = context.getStore(NS).remove(KEY, Guest.class);
            if (guest != null) {
                guest.close();
            }
        }
    }

    /** The guest of the running test class. */
    public static Guest guest(ExtensionContext context) {
        Guest g = context.getStore(NS).get(KEY, Guest.class);
        if (g == null) {
            throw new TestbedException("no test bed guest: the test class is not annotated with @TestbedTest or its guest failed to boot");
        }
        return g;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == Guest.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return guest(extensionContext);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Guest g = context.getStore(NS).get(KEY, Guest.class);
        if (g instanceof AgentGuest a) {
            a.noteFailure(context.getDisplayName() + " [" + context.getRequiredTestMethod().getName() + "]", cause);
        }
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        testFailed(context, cause);
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        // nothing to keep
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        // nothing to keep
    }
}
