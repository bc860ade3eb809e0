package io.wiseseg.data;

import java.nio.file.Path;

/**
 * A dataset on disk that cannot be read as expected: a missing directory or file, a corrupt or
 * truncated image, a mask whose size disagrees with its image. The message is one line that
 * names the file and the problem, so the command line can print it as it is.
 */
public final class DatasetException extends IllegalArgumentException {
    public DatasetException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public DatasetException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
