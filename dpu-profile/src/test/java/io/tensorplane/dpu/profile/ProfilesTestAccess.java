package io.tensorplane.dpu.profile;

import java.io.IOException;
import java.nio.file.Path;

/** Lets tests of other packages copy a recorded machine to change it. */
public final class ProfilesTestAccess {
    private ProfilesTestAccess() {
    }

    public static Path copy(String recorded, Path into) throws IOException {
        return ProfilesTest.copy(recorded, into);
    }
}
