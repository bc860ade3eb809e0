package io.wiseseg.proposals;

import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.RgbImage;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * Computes each image's proposals once and keeps them on disk: {@code <dir>/<id>.json}, in the
 * reference's proposal format ({@link ProposalFiles} and the reference's tools read the folder
 * as is). Files are written to a temporary name and renamed, so an interrupted run leaves either
 * a whole file or none. {@code <dir>/SOURCE} records the source's description; a folder made by
 * another source or other settings is refused rather than silently mixed.
 */
public final class ProposalCache implements ProposalSource {
    static final String SOURCE_FILE = "SOURCE";

    private final Path dir;
    private final ProposalSource source;

    public ProposalCache(Path dir, ProposalSource source) throws IOException {
        this.dir = dir;
        this.source = source;
        Path marker = dir.resolve(SOURCE_FILE);
        String want = source.description();
        if (Files.exists(marker)) {
            String have = Files.readString(marker, StandardCharsets.UTF_8).strip();
            if (!have.equals(want)) {
                throw new IOException(dir + ": this proposal cache holds '" + have + "', not '" + want
                        + "'; use another folder");
            }
        } else {
            Files.createDirectories(dir);
            AtomicFiles.writeString(marker, want + "\n");
        }
    }

    @Override
    public List<Proposal> proposals(LabelledImage image, Supplier<RgbImage> pixels) throws IOException {
        String id = image.id();
        if (id.isEmpty() || id.contains("/") || id.contains("\\") || id.startsWith(".")) {
            throw new IOException(dir + ": image id '" + id + "' cannot name a cache file");
        }
        Path file = dir.resolve(id + ".json");
        if (Files.exists(file)) {
            return ProposalJson.decode(file, id, ProposalJson.readList(file), image.height(), image.width());
        }
        List<Proposal> computed = source.proposals(image, pixels);
        ProposalJson.write(file, computed);
        return computed;
    }

    /** Whether an image's proposals are already on disk. */
    public boolean contains(String imageId) {
        return Files.exists(dir.resolve(imageId + ".json"));
    }

    @Override
    public String description() {
        return source.description();
    }
}
