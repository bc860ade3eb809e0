package io.wiseseg.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /}: one page to try the server: choose or drop an image, see its masks drawn over
 * it with labels and scores, and the time taken (it posts to {@code /v1/segment}).
 */
final class Page {
    private static final byte[] HTML = load();

    private Page() {}

    static byte[] html() {
        return HTML;
    }

    private static byte[] load() {
        try (InputStream in = Page.class.getResourceAsStream("page.html")) {
            if (in == null) {
                throw new IllegalStateException("page.html is missing from the jar next to " + Page.class.getName());
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
