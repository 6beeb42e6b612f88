package io.tensorplane.nvmf;

import java.util.ServiceLoader;

/**
 * Applies a named deployment profile (core map, queue sizes, listen and metrics addresses) to a target's
 * configuration: what {@code serve --profile NAME} does. The profiles live in the dpu-profile module, which provides
 * this through {@link ServiceLoader} ({@code META-INF/services/io.tensorplane.nvmf.TargetProfiles}).
 */
public interface TargetProfiles {

    /**
     * Sets what the profile decides in {@code cfg}, or throws {@link IllegalArgumentException} with the reasons the
     * profile cannot run here (it does not fit this machine, or {@code cfg} sets something the profile decides).
     */
    void apply(String profile, TargetConfig cfg);

    /** The installed implementation; throws when this build has none. */
    static TargetProfiles installed() {
        return ServiceLoader.load(TargetProfiles.class).findFirst().orElseThrow(() ->
                new IllegalArgumentException("--profile: this build has no deployment profiles (module dpu-profile)"));
    }
}
