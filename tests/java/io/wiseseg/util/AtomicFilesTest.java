package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The target is either the old file or the whole new one, never a half file or a stray temporary. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesANewFileAndReplacesAnOldOne() throws IOException {
        Path target = dir.resolve("out.json");
        AtomicFiles.write(target, "first".getBytes(StandardCharsets.UTF_8));
        assertEquals("first", Files.readString(target));
        AtomicFiles.writeString(target, "sécond\n");
        assertEquals("sécond\n", Files.readString(target, StandardCharsets.UTF_8));
        AtomicFiles.write(target, tmp -> Files.writeString(tmp, "third"));
        assertEquals("third", Files.readString(target));
        assertEquals(List.of("out.json"), names());
    }

    @Test
    void theTemporaryFileSitsBesideTheTarget() throws IOException {
        Path target = dir.resolve("model.pt");
        List<Path> sources = new ArrayList<>();
        AtomicFiles.write(target, tmp -> Files.writeString(tmp, "x"), (source, to, options) -> {
            sources.add(source);
            Files.move(source, to, options);
        });
        assertEquals(1, sources.size());
        Path tmp = sources.get(0);
        assertEquals(dir.toAbsolutePath(), tmp.getParent(), "same folder, so the rename can be atomic");
        assertTrue(tmp.getFileName().toString().startsWith("model.pt.") && tmp.getFileName().toString().endsWith(".tmp"), tmp.toString());
    }

    @Test
    void aFailingWriteKeepsTheOldFileAndLeavesNoTemporary() throws IOException {
        Path target = dir.resolve("out.json");
        Files.writeString(target, "old");
        IOException io = new IOException("disk full");
        assertSame(io, assertThrows(IOException.class, () -> AtomicFiles.write(target, tmp -> {
            Files.writeString(tmp, "half");
            throw io;
        })));
        RuntimeException native_ = new RuntimeException("LibTorch: cannot write");
        assertSame(native_, assertThrows(RuntimeException.class, () -> AtomicFiles.write(target, tmp -> {
            Files.writeString(tmp, "half");
            throw native_;
        })));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.json"), names());
    }

    @Test
    void fallsBackToAPlainMoveWhereAtomicMovesAreRefused() throws IOException {
        Path target = dir.resolve("out.json");
        Files.writeString(target, "old");
        List<List<CopyOption>> calls = new ArrayList<>();
        AtomicFiles.write(target, tmp -> Files.writeString(tmp, "new"), (source, to, options) -> {
            calls.add(List.of(options));
            if (calls.get(calls.size() - 1).contains(StandardCopyOption.ATOMIC_MOVE)) {
                throw new AtomicMoveNotSupportedException(source.toString(), to.toString(), "not here");
            }
            Files.move(source, to, options);
        });
        assertEquals(List.of(List.of(StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING),
                List.of(StandardCopyOption.REPLACE_EXISTING)), calls);
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("out.json"), names());
    }

    @Test
    void aFailingMoveLeavesNoTemporary() throws IOException {
        Path target = dir.resolve("out.json");
        Files.writeString(target, "old");
        IOException refused = new IOException("permission denied");
        assertSame(refused, assertThrows(IOException.class, () -> AtomicFiles.write(target,
                tmp -> Files.writeString(tmp, "new"), (source, to, options) -> {
                    if (List.of(options).contains(StandardCopyOption.ATOMIC_MOVE)) {
                        throw new AtomicMoveNotSupportedException(source.toString(), to.toString(), "not here");
                    }
                    throw refused; // the fallback fails too
                })));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.json"), names());
        // and on the real file system: a folder in the way
        Path blocked = Files.createDirectories(dir.resolve("blocked"));
        Files.writeString(blocked.resolve("inside"), "keep");
        assertThrows(IOException.class, () -> AtomicFiles.writeString(blocked, "new"));
        assertEquals(List.of("blocked", "out.json"), names());
        assertEquals("keep", Files.readString(blocked.resolve("inside")));
    }

    @Test
    void theResultHasTheModeOfAPlainWrite() throws IOException {
        assumeTrue(Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null, "POSIX file modes");
        Path plain = Files.writeString(dir.resolve("plain"), "x");
        Path atomic = dir.resolve("atomic");
        AtomicFiles.writeString(atomic, "x");
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(atomic));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
