package io.wiseseg.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that a crash or an error never leaves a half-written file where a good one
 * was: the content goes to a new temporary file in the target's folder (same file system, so the
 * rename can be atomic), which then replaces the target in one rename. Where the file system has
 * no atomic rename, a plain replacing move is used instead. On any failure the temporary file is
 * deleted and the target is left as it was.
 *
 * <p>The folder must exist. The temporary file is named {@code <target name>.<random>.tmp} and is
 * created with the default permissions of a new file (unlike {@link Files#createTempFile}, which
 * makes it readable by its owner only), so the result is what a plain write would have made.
 */
public final class AtomicFiles {
    /** Writes the content into the temporary file it is given (which exists and is empty). */
    @FunctionalInterface
    public interface Content {
        void writeTo(Path tmp) throws IOException;
    }

    /** The final rename, {@link Files#move} outside tests; a test swaps in one that refuses atomic moves. */
    @FunctionalInterface
    interface Mover {
        void move(Path source, Path target, CopyOption... options) throws IOException;
    }

    private AtomicFiles() {}

    /** Writes {@code bytes} to {@code target} atomically. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, tmp -> Files.write(tmp, bytes));
    }

    /** Writes {@code text} as UTF-8 to {@code target} atomically. */
    public static void writeString(Path target, CharSequence text) throws IOException {
        write(target, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    /** Writes whatever {@code content} writes into a temporary file to {@code target} atomically. */
    public static void write(Path target, Content content) throws IOException {
        write(target, content, Files::move);
    }

    static void write(Path target, Content content, Mover mover) throws IOException {
        Path tmp = newTempFile(target);
        try {
            content.writeTo(tmp);
            try {
                mover.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // A file system without atomic renames: the move may then be a copy and a delete,
                // which is at worst what writing the target directly would have been.
                mover.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (Throwable e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
    }

    private static Path newTempFile(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        String name = target.getFileName().toString();
        while (true) {
            // A fresh name per write: two writers of one target never share a temporary file.
            Path tmp = dir.resolve(name + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                // taken (a leftover or another writer's): draw another name
            }
        }
    }
}
