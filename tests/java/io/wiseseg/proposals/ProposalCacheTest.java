package io.wiseseg.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProposalCacheTest {
    /** A source that counts its calls and makes two fixed proposals. */
    static final class Counting implements ProposalSource {
        final AtomicInteger calls = new AtomicInteger();
        final String name;

        Counting(String name) {
            this.name = name;
        }

        @Override
        public List<Proposal> proposals(LabelledImage image, Supplier<RgbImage> pixels) {
            calls.incrementAndGet();
            Mask a = new Mask(image.height(), image.width());
            a.set(1, 2, true);
            a.set(image.height() - 1, image.width() - 1, true);
            Mask b = new Mask(image.height(), image.width());
            b.set(0, 0, true);
            return List.of(new Proposal(a, 0.75f), new Proposal(b, 0.123456789f));
        }

        @Override
        public String description() {
            return name;
        }
    }

    static LabelledImage image(String id) {
        return new LabelledImage(id, Path.of(id + ".jpg"), 70, 5, new int[0]);
    }

    @Test
    void computesOnceAndReadsBackExactly(@TempDir Path dir) throws IOException {
        Counting source = new Counting("fixed");
        ProposalCache cache = new ProposalCache(dir, source);
        List<Proposal> first = cache.proposals(image("a"), () -> null);
        assertTrue(cache.contains("a"));
        List<Proposal> second = new ProposalCache(dir, source).proposals(image("a"), () -> null);
        assertEquals(1, source.calls.get());
        assertEquals(first, second);
        // the cache folder is in the reference format: ProposalFiles reads it as is
        assertEquals(first, new ProposalFiles(dir).proposals(image("a"), () -> null));
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "temporary file left behind");
        }
    }

    @Test
    void refusesAFolderOfAnotherSource(@TempDir Path dir) throws IOException {
        new ProposalCache(dir, new Counting("one"));
        IOException e = assertThrows(IOException.class, () -> new ProposalCache(dir, new Counting("two")));
        assertTrue(e.getMessage().startsWith(dir.toString()) && e.getMessage().contains("'one'"), e.getMessage());
    }

    @Test
    void rejectsIdsThatAreNotFileNames(@TempDir Path dir) throws IOException {
        ProposalCache cache = new ProposalCache(dir, new Counting("x"));
        assertThrows(IOException.class, () -> cache.proposals(image("../up"), () -> null));
    }
}
