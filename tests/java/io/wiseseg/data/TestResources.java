package io.wiseseg.data;

import java.nio.file.Path;

/** Where the committed fixtures are, from the surefire property or the working directory. */
final class TestResources {
    private TestResources() {}

    static Path path(String name) {
        return Path.of(System.getProperty("wiseseg.test.resources", "tests/resources")).resolve(name);
    }
}
