package io.wiseseg.data;

import java.nio.file.Path;

/**
 * A dataset on disk that cannot be read as expected: a missing directory or file, a corrupt or
 * truncated image, a mask whose size disagrees with its image. The message is one line that
 * names the file (or, for an image given as bytes, the input) and the problem, so the command
 * line can print it as it is.
 */
public final class DatasetException extends IllegalArgumentException {
    public DatasetException(Path file, String problem) {
        this(file.toString(), problem);
    }

    public DatasetException(Path file, String problem, Throwable cause) {
        this(file.toString(), problem, cause);
    }

    /** For an input that is not a file: {@code source} says what it is. */
    public DatasetException(String source, String problem) {
        super(source + ": " + problem);
    }

    public DatasetException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
