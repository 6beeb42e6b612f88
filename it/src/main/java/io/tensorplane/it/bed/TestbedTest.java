package io.tensorplane.it.bed;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an integration test class ({@code *IT}, run by failsafe in {@code mvn verify}) that runs commands in the test
 * bed: one {@link Guest} is booted before the class's first test and powered off after its last one, and is injected
 * into test, {@code @BeforeAll}, {@code @BeforeEach} and constructor parameters of type {@link Guest}.
 * If the guest cannot boot, every test of the class fails with the reason.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Tag("testbed")
@ExtendWith(TestbedExtension.class)
public @interface TestbedTest {
}
